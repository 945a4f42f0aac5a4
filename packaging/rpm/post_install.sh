# %post: the private data directory (as tmpfiles.d/clavitor.conf says, also
# where systemd does not run), then what %systemd_post does: apply the
# preset on first install. The service is not started here (Fedora policy).
if [ ! -d /var/lib/clavitor ]; then
    install -d -m 0700 -o clavitor -g clavitor /var/lib/clavitor
fi
if [ "$1" -eq 1 ] && [ -d /run/systemd/system ]; then
    systemctl --no-reload preset clavitor.service >/dev/null 2>&1 || :
fi
