#!/usr/bin/env bash
# Browser tests of the owner web UI (issue 8): headless Debian Chromium
# driven by playwright-core against the real binary. `make test-browser`
# (and so `make test`) runs this. It installs what is missing — Debian's
# chromium through apt-get, playwright-core through `npm ci` into
# tests/browser/node_modules — builds the debug binary and runs every
# tests/browser/*.test.mjs with node's test runner. It fails loudly and
# never skips. Screenshots land in target/screenshots/.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM

fail() { echo "BROWSER TESTS FAILED: $*" >&2; exit 1; }

if [ ! -x "$CHROMIUM" ]; then
    echo "browser tests: no Chromium at $CHROMIUM; installing Debian's chromium package" >&2
    SUDO=
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq || fail "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium \
        || fail "apt-get install chromium failed"
fi
[ -x "$CHROMIUM" ] || fail "no Chromium at $CHROMIUM"

command -v node >/dev/null || fail "node (20 or newer) is needed to drive the browser"
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
[ "$NODE_MAJOR" -ge 20 ] || fail "node $(node --version) is too old: playwright-core needs 20 or newer"

# playwright-core pinned by package-lock.json; it never downloads a browser.
if [ ! -f node_modules/playwright-core/package.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed"
fi

(cd "$ROOT" && cargo build --locked --quiet) || fail "cargo build failed"
mkdir -p "$ROOT/target/screenshots"

echo "browser tests: $("$CHROMIUM" --version 2>/dev/null | head -n1), node $(node --version)"
node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs || fail "see the failures above"
echo "browser tests passed; screenshots in target/screenshots/"
