#!/usr/bin/env bash
# Stop-and-start against takeover, the measurement in docs/performance.md ("Issue 12"): 16 clients send 5,000
# CID-routed datagrams per second (100,000 over 20 s) through the appliance to a UDP echo backend and count the
# replies; 5 s in the appliance is replaced, by a stop and start or by a takeover. Run from the repository root after
# `mvn -q install -DskipTests`: lb-bench/takeover/measure.sh restart|takeover [epoll|io_uring]. Needs python3; uses 127.0.0.1:14433,
# :15001 and :18080, and a scratch directory under /tmp. Stops every process it started by its PID.
set -euo pipefail
mode=${1:?restart or takeover}
transport=${2:-epoll}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/quiclb-takeover.XXXXXX)
sed -e "s#@STATE@#$work/state.json#" -e "s#transport: epoll#transport: $transport#" "$here/config.yml" \
    > "$work/config.yml"
python3 "$here/udp.py" echo > "$work/echo.log" & echo_pid=$!
bin/quiclb server "$work/config.yml" > "$work/a.log" 2>&1 & a_pid=$!
b_pid=
cleanup() { kill "$echo_pid" "$a_pid" ${b_pid:+"$b_pid"} 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 120); do grep -qa "quiclb ready" "$work/a.log" && break; sleep 0.5; done
python3 "$here/udp.py" client 16 5000 20 > "$work/client.log" & client_pid=$!
sleep 5
start=$(date +%s%N)
if [ "$mode" = restart ]; then
  kill "$a_pid"; for _ in $(seq 1 200); do kill -0 "$a_pid" 2>/dev/null || break; sleep 0.05; done
  bin/quiclb server "$work/config.yml" > "$work/b.log" 2>&1 & b_pid=$!
else
  bin/quiclb takeover "$work/config.yml" > "$work/b.log" 2>&1 & b_pid=$!
fi
for _ in $(seq 1 240); do grep -qa "quiclb ready" "$work/b.log" && break; sleep 0.25; done
ready=$(date +%s%N)
wait "$client_pid"
kill "$echo_pid"; wait "$echo_pid" || true
echo "$mode ($transport): $(cat "$work/client.log"); $(cat "$work/echo.log"); new appliance ready after" \
    "$(( (ready - start) / 1000000 )) ms; $(grep -ao 'takeover: [0-9]* NAT flow.*' "$work/b.log" || true)"
