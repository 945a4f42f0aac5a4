# %pre: the clavitor system user and group, from the same definition as
# usr/lib/sysusers.d/clavitor.conf (which is not on disk yet).
if command -v systemd-sysusers >/dev/null 2>&1; then
    echo 'u clavitor - "clavitor credential vault" /var/lib/clavitor /usr/sbin/nologin' |
        systemd-sysusers --replace=/usr/lib/sysusers.d/clavitor.conf - || exit 1
else
    getent group clavitor >/dev/null || groupadd -r clavitor || exit 1
    getent passwd clavitor >/dev/null ||
        useradd -r -g clavitor -d /var/lib/clavitor -s /sbin/nologin \
            -c "clavitor credential vault" clavitor || exit 1
fi
