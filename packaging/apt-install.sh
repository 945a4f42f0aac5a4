#!/bin/sh
# Installs the Debian packages a test needs, only those missing.
# Usage: apt-install.sh PACKAGE:PATH ...  (PATH exists once PACKAGE is installed)
# Fails loudly, never skips: a missing tool is an error, not a pass.
set -eu
missing=""
for spec in "$@"; do
    pkg=${spec%%:*}
    path=${spec#*:}
    [ -e "$path" ] || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
echo "installing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "!!! not root: install$missing (apt-get install$missing) and run again !!!" >&2
    exit 1
fi
# Other users of this machine may hold the dpkg lock for a while.
apt_get() {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q "$@"
}
apt_get update >/dev/null
# shellcheck disable=SC2086
apt_get install -y --no-install-recommends $missing >/dev/null
for spec in "$@"; do
    [ -e "${spec#*:}" ] || { echo "!!! ${spec%%:*} installed but ${spec#*:} is missing !!!" >&2; exit 1; }
done
