#!/usr/bin/env bash
# Builds a JDK 25 ahead-of-time cache (JEP 483/514/515: classes loaded and linked, method profiles) for the
# appliance jar from a training run under udpbench's traffic, so a later start with -XX:AOTCache=OUT begins with
# the data path's classes linked and its profiles (forwarding, flow opening, relayed replies) already known.
#
#   train-aot.sh UDPBENCH_DIR OUT.aot [TRANSPORT] [SECONDS]
#
# UDPBENCH_DIR is a built copy of ../shared/udpbench (make). The run binds 127.0.0.1:24433 and 127.0.0.1:25001..4,
# starts the appliance through quiclb-forwarder.sh with -XX:AOTCacheOutput=OUT, offers, for 1200- and then 64-octet
# datagrams, SECONDS (default 10) of traffic at full speed and then SECONDS at 10k pps with the sinks echoing (the
# reply path): 4 x SECONDS in all. It then stops the appliance
# with SIGTERM and waits (bounded) for the JVM to write the cache at exit. Every process is stopped by its PID.
#
# Use: JAVA_OPTS=-XX:AOTCache=OUT quiclb-forwarder.sh ... (the cache fits only the same jar and JDK; a mismatch is
# reported by the JVM and the cache ignored).
set -euo pipefail
bench=$(cd "${1:?udpbench directory}" && pwd) out=${2:?output .aot file} transport=${3:-epoll} seconds=${4:-10}
here=$(cd "$(dirname "$0")" && pwd)
for b in udpgen udpsink; do [[ -x $bench/$b ]] || { echo "train-aot: $bench/$b missing (run make there)" >&2; exit 2; }; done
rm -f "$out"   # so that a cache left from an earlier run cannot pass for this one's
work=$(mktemp -d /tmp/train-aot.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
front=127.0.0.1:24433 backend=127.0.0.1:25001 k=4 sidlen=1

"$bench/udpsink" -e -p 25001 -k $k -l 8 -S $sidlen -T $((4 * seconds + 60)) >"$work/sink.out" 2>&1 &
pids+=($!)
JAVA_OPTS="${JAVA_OPTS:-} -XX:AOTCacheOutput=$out" \
  "$here/quiclb-forwarder.sh" "$front" "$backend" $k $sidlen "$work" "$transport" 1 true false \
  >"$work/fwd.out" 2>&1 &
fwd=$!
pids+=($fwd)
for i in $(seq 1 300); do
  ss -uln 2>/dev/null | grep -q '127.0.0.1:24433 ' && break
  kill -0 $fwd 2>/dev/null || { echo "train-aot: the appliance exited:" >&2; tail -5 "$work/fwd.out" >&2; exit 4; }
  sleep 0.1
done
ss -uln | grep -q '127.0.0.1:24433 ' || { echo "train-aot: the appliance is not listening after 30 s" >&2; exit 4; }
common=(-d "$front" -D 1024 -k $k -l 8 -S $sidlen -i 0 -C 16)
for size in 1200 64; do
  "$bench/udpgen" "${common[@]}" -s $size -G 16 -B 64 -t "$seconds" >/dev/null 2>&1
  "$bench/udpgen" "${common[@]}" -s $size -L -r 10000 -t "$seconds" -B 8 >/dev/null 2>&1
done
kill -TERM $fwd
for i in $(seq 1 600); do kill -0 $fwd 2>/dev/null || break; sleep 0.1; done
if kill -0 $fwd 2>/dev/null; then echo "train-aot: the appliance did not exit within 60 s" >&2; exit 5; fi
[[ -s $out ]] || { echo "train-aot: no cache written:" >&2; tail -20 "$work/fwd.out" >&2; exit 5; }
echo "train-aot: wrote $out ($(du -h "$out" | cut -f1))"
