#!/usr/bin/env bash
# Measures how often an idle clavitor server's threads wake up.
#
# usage: scripts/idle-wakeups.sh [SECONDS=60] [BINARY=target/release/clavitor]
#   env CLAVITOR_ARGS  extra arguments for `clavitor serve` (word-split). If they
#                      contain --config, that config is used instead of the
#                      temporary one (which has open registration, a free port
#                      and a temporary data directory).
#
# Starts the server, waits for /healthz, waits 7 s more so tiny_http's helper
# threads (which retire after 5 s idle) are gone, then sums
# voluntary_ctxt_switches + nonvoluntary_ctxt_switches over every thread in
# /proc/PID/task at the start and end of the window. A thread that appears
# during the window counts its switches (at least 1); one that disappears
# counts 1. Prints
#   idle wake-ups over Ns: K (threads: T)
# and exits 0 if K == 0, 1 if K > 0, 2 if the measurement could not be made.
# The server is always stopped (SIGTERM, then SIGKILL) on exit.
set -u

SECONDS_WINDOW=${1:-60}
BINARY=${2:-target/release/clavitor}
SETTLE=7

die() { echo "idle-wakeups: $*" >&2; exit 2; }

case $SECONDS_WINDOW in ''|*[!0-9]*) die "SECONDS must be a whole number, got '$SECONDS_WINDOW'";; esac
[ -x "$BINARY" ] || die "no executable at $BINARY (build it first: cargo build --release)"
[ -d /proc/self/task ] || die "needs Linux /proc"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/clavitor-idle.XXXXXX") || die "mktemp failed"
SERVER_PID=

cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        for _ in $(seq 1 30); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

# Port 0: the kernel picks a free port; the server logs the address it got.
cat >"$TMP/clavitor.yaml" <<EOF
listen: "127.0.0.1:0"
data_dir: $TMP/data
registration: open
log: {level: info}
EOF

# shellcheck disable=SC2206 # word-splitting CLAVITOR_ARGS is the point
EXTRA=(${CLAVITOR_ARGS:-})
ARGS=(serve)
case " ${EXTRA[*]:-} " in
    *" --config "*|*" --config="*) ;;
    *) ARGS+=(--config "$TMP/clavitor.yaml") ;;
esac
ARGS+=("${EXTRA[@]}")

"$BINARY" "${ARGS[@]}" </dev/null >/dev/null 2>"$TMP/server.log" &
SERVER_PID=$!

# The address from "listening on http://ADDR ..." (bounded wait).
ADDR=
for _ in $(seq 1 200); do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log" >&2; die "server exited during start-up"; }
    ADDR=$(sed -n 's|.*listening on http://\([^ ]*\).*|\1|p' "$TMP/server.log" | head -n1)
    [ -n "$ADDR" ] && break
    sleep 0.1
done
[ -n "$ADDR" ] || { cat "$TMP/server.log" >&2; die "server did not log its address within 20 s"; }
HOST=${ADDR%:*}
PORT=${ADDR##*:}
HOST=${HOST#[}; HOST=${HOST%]}
[ "$HOST" = "0.0.0.0" ] && HOST=127.0.0.1
[ "$HOST" = "::" ] && HOST=::1

healthz() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -m 2 -o /dev/null "http://$ADDR/healthz" 2>/dev/null
    else
        # bash /dev/tcp: one request, connection closed by us.
        (
            exec 3<>"/dev/tcp/$HOST/$PORT" || exit 1
            printf 'GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$ADDR" >&3
            IFS= read -r -t 2 line <&3 || exit 1
            exec 3<&-
            case $line in "HTTP/1."?" 200"*) exit 0 ;; *) exit 1 ;; esac
        )
    fi
}
READY=
for _ in $(seq 1 200); do
    if healthz; then READY=1; break; fi
    sleep 0.1
done
[ -n "$READY" ] || { cat "$TMP/server.log" >&2; die "/healthz did not answer within 20 s"; }

sleep "$SETTLE"

# "tid switches" for every thread of the server.
snapshot() {
    local dir tid v n
    for dir in /proc/"$SERVER_PID"/task/*; do
        tid=${dir##*/}
        v=$(awk '/^voluntary_ctxt_switches:/ {v=$2} /^nonvoluntary_ctxt_switches:/ {n=$2} END {if (v != "") print v + n}' "$dir/status" 2>/dev/null)
        [ -n "$v" ] && echo "$tid $v"
    done
}
thread_name() { cat "/proc/$SERVER_PID/task/$1/comm" 2>/dev/null || echo '?'; }

kill -0 "$SERVER_PID" 2>/dev/null || die "server died before the window"
snapshot >"$TMP/start"
sleep "$SECONDS_WINDOW"
kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log" >&2; die "server died during the window"; }
snapshot >"$TMP/end"

T_START=$(wc -l <"$TMP/start")
T_END=$(wc -l <"$TMP/end")
[ "$T_START" -gt 0 ] && [ "$T_END" -gt 0 ] || die "could not read /proc/$SERVER_PID/task"

# Per-thread differences; appearing threads count their switches (>= 1), vanished ones 1.
K=0
while read -r tid end; do
    start=$(awk -v t="$tid" '$1 == t {print $2}' "$TMP/start")
    if [ -z "$start" ]; then
        d=$(( end > 0 ? end : 1 ))
        echo "  new thread $tid ($(thread_name "$tid")): $d" >&2
    else
        d=$(( end - start ))
        [ "$d" -gt 0 ] && echo "  thread $tid ($(thread_name "$tid")): $d" >&2
    fi
    K=$(( K + d ))
done <"$TMP/end"
while read -r tid _; do
    if ! awk -v t="$tid" '$1 == t {found=1} END {exit !found}' "$TMP/end"; then
        echo "  thread $tid exited during the window: 1" >&2
        K=$(( K + 1 ))
    fi
done <"$TMP/start"

[ "$T_START" = "$T_END" ] || echo "  threads: $T_START at the start, $T_END at the end" >&2
echo "idle wake-ups over ${SECONDS_WINDOW}s: $K (threads: $T_END)"
[ "$K" -eq 0 ]
