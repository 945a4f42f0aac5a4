# %preun, as %systemd_preun: on the last erase, stop and disable the unit.
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
    systemctl --no-reload disable --now clavitor.service >/dev/null 2>&1 || :
fi
