#!/usr/bin/env bash
# Packaging acceptance (make test-packaging; make test runs it too).
#
#  1. make deb / make rpm build the packages; lintian and rpmlint report no
#     error, and every warning they do report is justified in
#     docs/PACKAGING.md.
#  2. The .deb installs on this machine (dpkg, as root): `clavitor serve`
#     runs as the packaged user with the packaged config the way the unit
#     starts it, answers /healthz and /metrics, takes a first vault with the
#     setup token; reinstalling and upgrading keep the data and the edited
#     config; dpkg -r keeps the data, dpkg -P removes it and the user.
#  3. A second build from a copy of the sources at another path gives a
#     byte-identical .deb (same SOURCE_DATE_EPOCH).
#  4. Both packaged manual pages render with man -l without warnings.
#
# Needs root and dpkg. Fails loudly, never skips. Cleans up after itself
# (the package is purged whatever happens).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
START=$(date +%s)
# Each step is one check; a step passes when the next one starts.
STEPS=0
step() {
    STEPS=$((STEPS + 1))
    echo
    echo "=== [$(($(date +%s) - START)) s] $*"
}
fail() {
    echo "!!! packaging test FAILED: $*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || fail "must run as root: it installs, upgrades and purges the .deb with dpkg"
command -v dpkg >/dev/null || fail "dpkg not found: this test runs on Debian"

WORK=$(mktemp -d /tmp/clavitor-packaging.XXXXXX)
SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$SERVER_PID" 2>/dev/null && fail "server did not stop within 10 s of SIGTERM"
    fi
    SERVER_PID=""
}
cleanup() {
    local rc=$?
    if [ -n "$SERVER_PID" ]; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
    if dpkg-query -W -f='${Status}' clavitor 2>/dev/null | grep -q installed; then
        echo "cleanup: purging the clavitor package"
        dpkg -P clavitor >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
    if [ "$rc" -ne 0 ]; then
        echo "!!! packaging test FAILED (exit $rc) !!!" >&2
        echo "packaging: $((STEPS > 0 ? STEPS - 1 : 0)) passed, 1 failed"
    fi
    exit "$rc"
}
trap cleanup EXIT

if dpkg-query -W -f='${Status}' clavitor 2>/dev/null | grep -q installed; then
    fail "a clavitor package is already installed on this machine; this test installs and purges its own (dpkg -P clavitor first)"
fi

step "Debian tools (installed when missing)"
sh packaging/apt-install.sh lintian:/usr/bin/lintian rpmlint:/usr/bin/rpmlint rpm:/usr/bin/rpm \
    man-db:/usr/bin/man groff-base:/usr/bin/groff curl:/usr/bin/curl \
    python3-prometheus-client:/usr/lib/python3/dist-packages/prometheus_client

SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)
export SOURCE_DATE_EPOCH
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
ARCH=$(dpkg --print-architecture)

step "make deb (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
t0=$(date +%s)
make deb
DEB_SECONDS=$(($(date +%s) - t0))
DEB=target/debian/clavitor_${VERSION}-1_${ARCH}.deb
[ -f "$DEB" ] || fail "make deb did not produce $DEB"

step "make rpm"
t0=$(date +%s)
make rpm
RPM_SECONDS=$(($(date +%s) - t0))
RPM=$(ls target/generate-rpm/clavitor-"${VERSION}"-1.*.rpm 2>/dev/null | head -1)
[ -n "$RPM" ] && [ -f "$RPM" ] || fail "make rpm did not produce target/generate-rpm/clavitor-${VERSION}-1.*.rpm"

step "make install: PREFIX, DESTDIR, BINDIR, SYSCONFDIR; an existing config is kept"
# -o release: install the binary just built for the packages instead of
# building target/release as well.
STAGE="$WORK/stage"
make -o release install CLAVITOR_BIN=target/pkg/release/clavitor DESTDIR="$STAGE" \
    PREFIX=/usr SYSCONFDIR=/etc BINDIR=/usr/sbin >/dev/null
for f in usr/sbin/clavitor etc/clavitor/clavitor.yaml usr/share/man/man1/clavitor.1 \
    usr/share/man/man5/clavitor.yaml.5 usr/share/bash-completion/completions/clavitor \
    usr/share/zsh/site-functions/_clavitor usr/share/fish/vendor_completions.d/clavitor.fish; do
    [ -f "$STAGE/$f" ] || fail "make install did not install /$f"
done
[ "$(stat -c %a "$STAGE/usr/sbin/clavitor")" = 755 ] || fail "make install: the binary is not 0755"
echo "# edited" >>"$STAGE/etc/clavitor/clavitor.yaml"
make -o release install CLAVITOR_BIN=target/pkg/release/clavitor DESTDIR="$STAGE" \
    PREFIX=/usr SYSCONFDIR=/etc BINDIR=/usr/sbin >"$WORK/install.txt"
grep -q 'keeping existing' "$WORK/install.txt" || fail "make install did not say it keeps the existing config"
tail -1 "$STAGE/etc/clavitor/clavitor.yaml" | grep -qx '# edited' || fail "make install overwrote an existing config"
make -o release install CLAVITOR_BIN=target/pkg/release/clavitor DESTDIR="$WORK/stage2" >/dev/null
[ -f "$WORK/stage2/usr/local/bin/clavitor" ] && [ -f "$WORK/stage2/usr/local/etc/clavitor/clavitor.yaml" ] ||
    fail "make install does not default to PREFIX=/usr/local"

step "EDITION=commercial selects the feature and the package variant"
# (Captured first: `make | grep -q` under pipefail fails when grep exits early.)
dry_deb=$(make -n deb EDITION=commercial)
dry_rpm=$(make -n rpm EDITION=commercial)
grep -q -- '--features commercial' <<<"$dry_deb" || fail "make deb EDITION=commercial does not pass --features commercial"
grep -q -- '--variant commercial' <<<"$dry_deb" || fail "make deb EDITION=commercial does not select the commercial variant"
grep -q -- '--variant commercial' <<<"$dry_rpm" || fail "make rpm EDITION=commercial does not select the commercial variant"

# Every warning a linter reports must be named, with its reason, in docs/PACKAGING.md.
check_justified() { # $1 = linter name, $2 = file with its output, $3 = awk field of the tag
    local tags missing=""
    tags=$(grep -E '^W: ' "$2" | awk "{print \$$3}" | sort -u || true)
    for tag in $tags; do
        grep -q -- "\`$tag\`" docs/PACKAGING.md || missing="$missing $tag"
    done
    [ -z "$missing" ] || fail "$1 warnings not justified in docs/PACKAGING.md:$missing"
    echo "$1: $(grep -c '^E: ' "$2" || true) errors, $(grep -c '^W: ' "$2" || true) warnings (each justified in docs/PACKAGING.md)"
}

step "lintian $DEB"
lintian --fail-on error --tag-display-limit 0 "$DEB" >"$WORK/lintian.txt" 2>&1 || {
    cat "$WORK/lintian.txt"
    fail "lintian reports errors"
}
cat "$WORK/lintian.txt"
grep -q '^E: ' "$WORK/lintian.txt" && fail "lintian reports errors"
check_justified lintian "$WORK/lintian.txt" 3

step "rpmlint $RPM (with packaging/rpm/rpmlint.toml)"
# rpmlint exits non-zero when it finds errors. Its configuration filters
# what cargo-generate-rpm cannot produce; the filtered tags are listed.
rpmlint "$RPM" >"$WORK/rpmlint-raw.txt" 2>&1 || true
rpmlint -c packaging/rpm/rpmlint.toml "$RPM" >"$WORK/rpmlint.txt" 2>&1 || {
    cat "$WORK/rpmlint.txt"
    fail "rpmlint reports errors"
}
cat "$WORK/rpmlint.txt"
filtered=$(sed -n 's/^[^ ]*: [EW]: \([^ ]*\).*/\1/p' "$WORK/rpmlint-raw.txt" | sort -u |
    while read -r tag; do grep -q ": $tag" "$WORK/rpmlint.txt" || echo "$tag"; done | tr '\n' ' ')
echo "filtered or reconfigured by packaging/rpm/rpmlint.toml: ${filtered:-none}"
for tag in $filtered; do
    grep -q -- "\`$tag\`" docs/PACKAGING.md || fail "rpmlint tag $tag is filtered without a reason in docs/PACKAGING.md"
done
# rpmlint 2 prints "<file>: W: <tag> <details>"; normalise to "W: <tag>".
sed -n 's/^[^ ]*: \([EW]\): /\1: /p' "$WORK/rpmlint.txt" >"$WORK/rpmlint-tags.txt"
grep -q '^E: ' "$WORK/rpmlint-tags.txt" && fail "rpmlint reports errors"
check_justified rpmlint "$WORK/rpmlint-tags.txt" 2

step "package contents"
dpkg-deb -c "$DEB" | awk '{print $1, $2, $6}' | tee "$WORK/deb-contents.txt"
for f in ./usr/bin/clavitor ./etc/clavitor/clavitor.yaml ./usr/lib/systemd/system/clavitor.service \
    ./usr/lib/sysusers.d/clavitor.conf ./usr/lib/tmpfiles.d/clavitor.conf \
    ./usr/share/man/man1/clavitor.1.gz ./usr/share/man/man5/clavitor.yaml.5.gz \
    ./usr/share/bash-completion/completions/clavitor ./usr/share/zsh/vendor-completions/_clavitor \
    ./usr/share/fish/vendor_completions.d/clavitor.fish ./usr/share/doc/clavitor/copyright; do
    grep -q " $f\$" "$WORK/deb-contents.txt" || fail "the .deb lacks $f"
done
dpkg-deb -I "$DEB" conffiles | grep -qx /etc/clavitor/clavitor.yaml || fail "/etc/clavitor/clavitor.yaml is not a conffile of the .deb"
rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$RPM" >"$WORK/rpm-files.txt"
grep -qx 'cn /etc/clavitor/clavitor.yaml' "$WORK/rpm-files.txt" || fail "/etc/clavitor/clavitor.yaml is not %config(noreplace) in the .rpm"
grep -q ' /usr/lib/systemd/system/clavitor.service$' "$WORK/rpm-files.txt" || fail "the .rpm lacks the unit"
rpm -qp --scripts "$RPM" >"$WORK/rpm-scripts.txt"
grep -q 'systemd-sysusers' "$WORK/rpm-scripts.txt" || fail "the .rpm's %pre does not create the user"
mkdir "$WORK/rpmroot"
rpm --root "$WORK/rpmroot" --dbpath /rpmdb --nodeps --noscripts --nosignature -i "$RPM" ||
    fail "the .rpm does not install into an empty root"
"$WORK/rpmroot/usr/bin/clavitor" --version | grep -q "$VERSION" || fail "the .rpm's binary does not run"
cmp "$WORK/rpmroot/etc/clavitor/clavitor.yaml" config/clavitor.yaml || fail "the .rpm's config differs from config/clavitor.yaml"

step "manual pages from the .deb render with man -l"
mkdir "$WORK/debroot"
dpkg-deb -x "$DEB" "$WORK/debroot"
for page in man1/clavitor.1.gz man5/clavitor.yaml.5.gz; do
    MANWIDTH=80 man -l "$WORK/debroot/usr/share/man/$page" >"$WORK/page.txt" 2>"$WORK/man-err.txt" ||
        fail "man -l $page failed: $(cat "$WORK/man-err.txt")"
    [ ! -s "$WORK/man-err.txt" ] || fail "man -l $page warns: $(cat "$WORK/man-err.txt")"
    [ "$(wc -l <"$WORK/page.txt")" -gt 40 ] || fail "man -l $page rendered almost nothing"
done
# The packaged page lists every command the packaged binary has.
"$WORK/debroot/usr/bin/clavitor" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF {print $1}' |
    grep -v -e '^Commands:' -e '^help$' >"$WORK/commands.txt"
MANWIDTH=200 man -l "$WORK/debroot/usr/share/man/man1/clavitor.1.gz" >"$WORK/page.txt"
while read -r c; do
    grep -q "^   clavitor $c" "$WORK/page.txt" || fail "the packaged clavitor(1) lacks \`clavitor $c\`"
done <"$WORK/commands.txt"

# --- install, serve, upgrade, remove, purge -------------------------------

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts the server the way clavitor.service does (User=clavitor,
# NoNewPrivileges=, empty capability sets, the packaged config, working
# directory /var/lib/clavitor), since systemd is not PID 1 here.
start_server() {
    (cd /var/lib/clavitor && exec setpriv --reuid=clavitor --regid=clavitor --init-groups \
        --no-new-privs --inh-caps=-all --bounding-set=-all \
        /usr/bin/clavitor serve --config /etc/clavitor/clavitor.yaml) >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$PORT/healthz" >"$WORK/health.json" 2>/dev/null; then
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; fail "the packaged server exited at start-up"; }
        sleep 0.1
    done
    cat "$WORK/server.log"
    fail "the packaged server did not answer /healthz within 10 s"
}

cli() { XDG_CONFIG_HOME="$WORK/xdg" /usr/bin/clavitor "$@"; }

step "dpkg -i $DEB"
dpkg -i "$DEB" </dev/null
getent passwd clavitor >/dev/null || fail "the clavitor user was not created"
[ "$(stat -c '%U:%G %a' /var/lib/clavitor)" = "clavitor:clavitor 700" ] ||
    fail "/var/lib/clavitor is $(stat -c '%U:%G %a' /var/lib/clavitor), expected clavitor:clavitor 700"
[ -L /etc/systemd/system/multi-user.target.wants/clavitor.service ] || fail "the unit was not enabled"
man -w clavitor >/dev/null && man -w clavitor.yaml >/dev/null || fail "man cannot find the installed pages"
# The installed unit: no warning from systemd's own checker (executables,
# manual pages in Documentation=, directives), and a sandbox exposure of
# at most 1.5 of 10 ("OK"; it is 1.2).
systemd-analyze verify /usr/lib/systemd/system/clavitor.service >"$WORK/verify.txt" 2>&1 ||
    fail "systemd-analyze verify: $(cat "$WORK/verify.txt")"
[ ! -s "$WORK/verify.txt" ] || fail "systemd-analyze verify warns: $(cat "$WORK/verify.txt")"
systemd-analyze security --offline=yes --threshold=15 /usr/lib/systemd/system/clavitor.service \
    >"$WORK/security.txt" 2>&1 || { tail -5 "$WORK/security.txt"; fail "the unit's exposure is above 1.5"; }
grep 'Overall exposure' "$WORK/security.txt"
setpriv --reuid=clavitor --regid=clavitor --init-groups /usr/bin/clavitor check-config \
    --config /etc/clavitor/clavitor.yaml | grep -q 'data_dir /var/lib/clavitor' ||
    fail "the packaged config does not check out as the clavitor user"

# The operator's edit: another port (1984 may be taken on a shared machine).
PORT=$(free_port)
sed -i "s/^listen: .*/listen: \"127.0.0.1:$PORT\"  # edited by the operator/" /etc/clavitor/clavitor.yaml
EDITED_SUM=$(sha256sum /etc/clavitor/clavitor.yaml)

step "clavitor serve as the clavitor user on 127.0.0.1:$PORT"
start_server
grep -q '"edition":"community"' "$WORK/health.json" || fail "/healthz: $(cat "$WORK/health.json")"
[ "$(ps -o user= -p "$SERVER_PID")" = clavitor ] || fail "the server runs as $(ps -o user= -p "$SERVER_PID"), not clavitor"
for f in clavitor.db token.key setup-token; do
    [ "$(stat -c '%U %a' "/var/lib/clavitor/$f")" = "clavitor 600" ] ||
        fail "/var/lib/clavitor/$f is $(stat -c '%U %a' "/var/lib/clavitor/$f"), expected clavitor 600"
done

step "first vault with the setup token; an entry in and out"
mkdir -m 700 "$WORK/xdg"
printf 'correct horse battery staple\n' >"$WORK/passphrase"
cli init --server "http://127.0.0.1:$PORT" --setup-token-file /var/lib/clavitor/setup-token \
    --passphrase-file "$WORK/passphrase" --json >"$WORK/init.json"
grep -q '"vault_id"' "$WORK/init.json" || fail "init: $(cat "$WORK/init.json")"
[ ! -e /var/lib/clavitor/setup-token ] || fail "the setup token outlived the first vault"
cli put login --title "Packaged" --url https://example.com --field username=alice --field password=s3cret-pw >/dev/null
[ "$(cli get Packaged --field password)" = s3cret-pw ] || fail "the entry did not come back"

step "/metrics from the packaged server, parsed by the Prometheus client"
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics.txt"
/usr/bin/python3 - "$WORK/metrics.txt" <<'EOF' || fail "/metrics does not parse"
import sys
from prometheus_client.parser import text_string_to_metric_families
families = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
for name in ("clavitor_http_requests", "clavitor_http_request_duration_seconds",
             "clavitor_audit_rows", "clavitor_agent_denials", "clavitor_http_open_connections"):
    assert name in families, f"{name} missing"
audit = [s.value for s in families["clavitor_audit_rows"].samples if s.name == "clavitor_audit_rows_total"]
assert audit and audit[0] >= 2, f"audit rows {audit}"
print("metrics:", len(families), "families,", sum(len(f.samples) for f in families.values()), "samples")
EOF
grep -q 'Packaged\|alice\|s3cret' "$WORK/metrics.txt" && fail "/metrics contains entry data"
stop_server

step "reinstall the same version: data and edited config kept"
dpkg -i "$DEB" </dev/null
[ "$(sha256sum /etc/clavitor/clavitor.yaml)" = "$EDITED_SUM" ] || fail "reinstalling replaced the edited config"
start_server
[ "$(cli get Packaged --field password)" = s3cret-pw ] || fail "the entry is gone after reinstalling"
stop_server

step "upgrade to ${VERSION}-2: data and edited config kept"
CARGO_TARGET_DIR=target/pkg target/tools/bin/cargo-deb -p clavitor --no-build --locked \
    --deb-version "${VERSION}-2" --output "$WORK/" >/dev/null
dpkg -i "$WORK/clavitor_${VERSION}-2_${ARCH}.deb" </dev/null
[ "$(dpkg-query -W -f='${Version}' clavitor)" = "${VERSION}-2" ] || fail "the upgrade did not happen"
[ "$(sha256sum /etc/clavitor/clavitor.yaml)" = "$EDITED_SUM" ] || fail "upgrading replaced the edited config"
start_server
[ "$(cli get Packaged --field password)" = s3cret-pw ] || fail "the entry is gone after upgrading"
stop_server

step "dpkg -r keeps the data, the config and the user"
dpkg -r clavitor </dev/null
[ ! -e /usr/bin/clavitor ] || fail "dpkg -r left the binary"
[ -f /var/lib/clavitor/clavitor.db ] && [ -f /var/lib/clavitor/token.key ] || fail "dpkg -r removed the data"
[ "$(sha256sum /etc/clavitor/clavitor.yaml)" = "$EDITED_SUM" ] || fail "dpkg -r removed the edited config"
getent passwd clavitor >/dev/null || fail "dpkg -r removed the user"

step "dpkg -P removes the data, the config and the user"
dpkg -P clavitor </dev/null
[ ! -e /var/lib/clavitor ] || fail "dpkg -P left /var/lib/clavitor"
[ ! -e /etc/clavitor ] || fail "dpkg -P left /etc/clavitor"
! getent passwd clavitor >/dev/null || fail "dpkg -P left the clavitor user"
! getent group clavitor >/dev/null || fail "dpkg -P left the clavitor group"
leftovers=$(find /etc /usr /var/lib -name '*clavitor*' -not -path '/var/lib/dpkg/*' 2>/dev/null || true)
[ -z "$leftovers" ] || fail "dpkg -P left: $leftovers"

step "reproducible: a second build from a copy of the sources at another path"
COPY="$WORK/elsewhere/clavitor"
mkdir -p "$COPY"
# The sources only: what .gitignore lists is build output, fuzz corpora
# (which a running fuzzer may be writing) and node_modules.
tar --exclude=./.git --exclude=./target --exclude=./clavitor-data \
    --exclude=./fuzz/target --exclude=./fuzz/target-scratch --exclude=./fuzz/corpus \
    --exclude=./fuzz/artifacts --exclude=./tests/browser/node_modules \
    -cf - . | tar -xf - -C "$COPY"
# Dependencies are reused from a copy of the first build's target
# directory; the workspace crates (clavitor, the vendored tiny_http_fork)
# are compiled again from the copied sources.
mkdir -p "$COPY/target"
cp -a target/pkg "$COPY/target/pkg"
rm -rf "$COPY/target/pkg/release/clavitor" "$COPY/target/pkg/release/deps/clavitor-"* \
    "$COPY/target/pkg/release/deps/libclavitor-"* "$COPY/target/pkg/release/.fingerprint/clavitor-"*
ln -s "$ROOT/target/tools" "$COPY/target/tools"
# The generated pages and completions come from the first build (-o
# assets): regenerating them would need a debug build of the whole tree.
cp -a target/assets "$COPY/target/assets"
t0=$(date +%s)
make -C "$COPY" -o assets deb
REBUILD_SECONDS=$(($(date +%s) - t0))
A=$(sha256sum <"$DEB" | cut -d' ' -f1)
B=$(sha256sum <"$COPY/$DEB" | cut -d' ' -f1)
if [ "$A" != "$B" ]; then
    command -v diffoscope >/dev/null && diffoscope "$DEB" "$COPY/$DEB" | head -50
    fail "the two builds differ: $A vs $B"
fi
echo "identical: sha256 $A"

step "summary"
echo "deb: $DEB $(stat -c %s "$DEB") bytes, installed size $(dpkg-deb -f "$DEB" Installed-Size) KiB; make deb took ${DEB_SECONDS} s"
echo "rpm: $RPM $(stat -c %s "$RPM") bytes; make rpm took ${RPM_SECONDS} s"
echo "second build from another path: ${REBUILD_SECONDS} s; .deb byte-identical"
echo "packaging test passed in $(($(date +%s) - START)) s"
echo "packaging: $STEPS passed, 0 failed"
