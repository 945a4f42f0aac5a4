#!/usr/bin/env bash
# Checks which edition a clavitor binary contains, from the outside.
#
# usage: scripts/check-edition.sh BINARY community|commercial
#
# A community binary must contain none of the commercial markers; a
# commercial binary must contain all of them (the positive control that
# shows the scan works on this kind of binary). Markers are literals only
# commercial code uses (replication protocol, backup role, tarpit header).
# `strings` finds them in stripped release binaries; when the binary still
# has symbols, `nm` is also searched for the module path
# clavitor::edition::commercial.
set -u
BINARY=${1:-}
EDITION=${2:-}
die() { echo "check-edition: $*" >&2; exit 2; }
[ -x "$BINARY" ] || die "no executable at '$BINARY'"
case $EDITION in community|commercial) ;; *) die "second argument must be community or commercial";; esac
command -v strings >/dev/null || die "needs strings (binutils)"

MARKERS=("Clavitor-HMAC" "X-Primary-Location" "replication/apply" "CV-5030" "X-Request-Queue")
STRINGS=$(strings -n 6 "$BINARY")
found=0
for m in "${MARKERS[@]}"; do
    if grep -qF -- "$m" <<<"$STRINGS"; then
        echo "  string   $m: present"; found=$((found + 1))
    else
        echo "  string   $m: absent"
    fi
done
SYMS=0
ALL=0
command -v nm >/dev/null && ALL=$(nm -C "$BINARY" 2>/dev/null | wc -l)
if [ "$ALL" -gt 0 ]; then
    SYMS=$(nm -C "$BINARY" 2>/dev/null | grep -c 'clavitor::edition::commercial' || true)
    echo "  symbols  clavitor::edition::commercial: $SYMS (of $ALL symbols)"
else
    echo "  symbols  (stripped or no nm; strings only)"
fi
if [ "$EDITION" = community ]; then
    if [ "$found" -eq 0 ] && [ "$SYMS" -eq 0 ]; then echo "OK: $BINARY contains no commercial code"; exit 0; fi
    echo "FAIL: $BINARY contains commercial code"; exit 1
fi
if [ "$found" -eq "${#MARKERS[@]}" ] && { [ "$ALL" -eq 0 ] || [ "$SYMS" -gt 0 ]; }; then
    echo "OK: $BINARY is a commercial build"; exit 0
fi
echo "FAIL: $BINARY lacks commercial markers"; exit 1
