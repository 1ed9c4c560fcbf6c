#!/usr/bin/env bash
# Runs the quiclb appliance in the foreground as a forwarder under ../shared/udpbench's bench.sh.
#
#   quiclb-forwarder.sh FRONT FIRST_BACKEND K SIDLEN WORKDIR [TRANSPORT] [WORKERS] [GSO] [GRO]
#
# bench.sh substitutes the placeholders, e.g.
#   ./bench.sh '/path/to/quiclb-forwarder.sh {FRONT} {BACKEND} {K} {SIDLEN} {WORKDIR} epoll 1'
# It writes a config.yml for udpbench's traffic (plaintext QUIC-LB config 0: server ID of SIDLEN octets,
# 8-octet CIDs; backend i on FIRST_BACKEND's port + i owns server ID i) and execs the appliance jar.
# QUICLB_WARM_UP, when set, is forwarder.warmUp (e.g. 0s to start without the data-path warm-up).
set -euo pipefail
front=$1 backend=$2 k=$3 sidlen=$4 workdir=$5 transport=${6:-auto} workers=${7:-1} gso=${8:-true} gro=${9:-false}
here=$(cd "$(dirname "$0")" && pwd)
jar="$here/../../lb-appliance/target/lb-appliance-0.1.0-SNAPSHOT.jar"
java=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
host=${backend%:*} port=${backend##*:}
config="$workdir/quiclb.yml"
{
  echo "server: {type: simple, applicationContextPath: /, adminContextPath: /admin,"
  echo "         connector: {type: http, bindHost: 127.0.0.1, port: 0}}"
  echo "logging: {level: WARN}"
  echo "forwarder: {transport: $transport, workers: $workers, listeners: ['$front'], flowIdleTimeout: 60s, gso: $gso, gro: $gro${QUICLB_WARM_UP:+, warmUp: $QUICLB_WARM_UP}}"
  echo "quicLb:"
  echo "  configs: [{configId: 0, serverIdLength: $sidlen, nonceLength: $((7 - sidlen))}]"
  echo "servers:"
  for ((i = 0; i < k; i++)); do
    printf "  - {name: s%d, address: '%s:%d', serverIds: {0: '%0*x'}}\n" "$i" "$host" "$((port + i))" "$((2 * sidlen))" "$i"
  done
} > "$config"
# The JVM options bin/quiclb gives (JAVA_OPTS come later and may override them).
exec "$java" -XX:MetaspaceSize=128m ${JAVA_OPTS:-} -jar "$jar" server "$config"
