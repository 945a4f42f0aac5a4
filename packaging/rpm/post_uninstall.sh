# %postun, as %systemd_postun_with_restart: reload units; after an upgrade,
# restart a running server on the new binary. An erase keeps
# /var/lib/clavitor and the clavitor user (RPM has no purge; see
# docs/OPERATIONS.md to remove them by hand).
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
    if [ "$1" -ge 1 ]; then
        systemctl try-restart clavitor.service >/dev/null 2>&1 || :
    fi
fi
