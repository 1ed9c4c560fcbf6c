package io.quiclb.appliance.control;

import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ServerEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Finds what a change would break: live CIDs that would become unroutable or go to another server. A config ID or
 * server is live when the data plane routed a datagram by it within the window ({@code forwarder.flowIdleTimeout}):
 * <ul>
 * <li>a live config deleted, or given a new key, server ID length, nonce length or thread ID length (its CIDs would
 *     no longer decode to the servers that issued them; draft-21 §3.1 rotates to a new config ID instead);</li>
 * <li>a live server deleted, its server ID in a live config changed or removed while that config stays (its
 *     clients' CIDs would name no server, or another one), its address changed, or one of its thread sockets moved
 *     or removed (a thread's connections would reach another socket; adding thread sockets is free).</li>
 * </ul>
 * Configs and servers in force at startup count as live for the window after it, since clients may hold CIDs from
 * before a restart.
 * Each finding says what breaks and the procedure that avoids it; {@code ?force=true} applies the change anyway.
 *
 * <p><b>Thread safety:</b> immutable; {@link TrafficRecency} is thread-safe.
 */
public final class ChangeGuard {
    /** The rotation procedure, quoted by each finding about a config. */
    public static final String ROTATE = "rotate instead (docs/operations.md, \"Rotating a config\"): PUT the"
            + " new parameters on a free config ID, give each server a server ID in it (PATCH"
            + " /api/v1/servers/{name}), let servers move their connections, and DELETE the old config once"
            + " GET /api/v1/stats shows no more datagrams routed by it";
    /** The draining procedure, quoted by each finding about a server. */
    public static final String DRAIN = "drain it instead (POST /api/v1/servers/{name}/drain), and delete it or"
            + " change its server IDs once GET /api/v1/servers/{name} shows forwarded no longer moving";

    private final TrafficRecency traffic;
    private final long windowNanos;

    /**
     * @param traffic     when configs and servers last saw datagrams
     * @param windowNanos how recent a datagram makes a config or server live
     */
    public ChangeGuard(TrafficRecency traffic, long windowNanos) {
        this.traffic = traffic;
        this.windowNanos = windowNanos;
    }

    /**
     * @param before the state in force
     * @param after  the state the change makes
     * @return every way the change breaks live connections; empty when it breaks none
     */
    public List<String> breaks(RoutingState before, RoutingState after) {
        traffic.sample();
        List<String> breaks = new ArrayList<>();
        for (LbConfigEntry old : before.configs()) {
            OptionalLong since = live(traffic.sinceConfigTraffic(old.configId()));
            if (since.isEmpty()) {
                continue;
            }
            LbConfigEntry next = after.configs().stream().filter(c -> c.configId().equals(old.configId()))
                    .findFirst().orElse(null);
            String used = "config " + old.configId() + (traffic.configTrafficSeen(old.configId())
                    ? " routed a datagram " + ago(since) + ", so clients use its CIDs"
                    : " was in force when the appliance started " + ago(since) + ", so clients may hold its CIDs");
            if (next == null) {
                breaks.add(used + ": deleting it makes every live CID of config " + old.configId()
                        + " unroutable; " + ROTATE);
            } else if (!sameDecoding(old, next)) {
                breaks.add(used + ": a new " + differences(old, next) + " makes its live CIDs decode to other server"
                        + " IDs; " + ROTATE);
            }
        }
        for (ServerEntry old : before.servers()) {
            OptionalLong since = live(traffic.sinceServerTraffic(old.name()));
            if (since.isEmpty()) {
                continue;
            }
            ServerEntry next = after.servers().stream().filter(s -> s.name().equals(old.name())).findFirst()
                    .orElse(null);
            String used = "server " + old.name() + (traffic.serverTrafficSeen(old.name())
                    ? " got a datagram " + ago(since) : " was in force when the appliance started " + ago(since));
            String drain = DRAIN.replace("{name}", old.name());
            if (next == null) {
                breaks.add(used + ": deleting it makes the CIDs of its live connections name no server; " + drain);
                continue;
            }
            for (Map.Entry<Integer, String> sid : old.serverIds().entrySet()) {
                boolean configStays = after.configs().stream().anyMatch(c -> c.configId().equals(sid.getKey()));
                boolean configLive = live(traffic.sinceConfigTraffic(sid.getKey())).isPresent();
                String nextSid = next.serverIds().get(sid.getKey());
                if (configStays && configLive && (nextSid == null || !nextSid.equalsIgnoreCase(sid.getValue()))) {
                    breaks.add(used + ": " + (nextSid == null ? "removing" : "changing") + " its server ID "
                            + sid.getValue() + " in config " + sid.getKey() + " makes the CIDs of its live"
                            + " connections name " + (nextSid == null ? "no server" : "another server ID") + "; "
                            + drain);
                }
            }
            if (!old.address().equals(next.address())) {
                breaks.add(used + ": changing its address from " + old.address() + " to " + next.address()
                        + " sends its live connections to another socket; " + drain);
            }
            List<HostPort> oldSockets = old.threadSockets();
            for (int thread = 0; thread < oldSockets.size(); thread++) {
                HostPort now = thread < next.threadSockets().size() ? next.threadSockets().get(thread) : null;
                if (!oldSockets.get(thread).equals(now)) {
                    breaks.add(used + ": " + (now == null ? "removing thread socket " + thread + " ("
                            + oldSockets.get(thread) + ")" : "moving thread " + thread + " from "
                            + oldSockets.get(thread) + " to " + now) + " sends the live connections of that thread to"
                            + " another socket; " + drain);
                }
            }
        }
        return breaks;
    }

    private OptionalLong live(OptionalLong since) {
        return since.isPresent() && since.getAsLong() < windowNanos ? since : OptionalLong.empty();
    }

    private static String ago(OptionalLong since) {
        long seconds = TimeUnit.NANOSECONDS.toSeconds(since.getAsLong());
        return seconds == 0 ? "less than a second ago" : seconds + " s ago";
    }

    /** Whether both decode CIDs alike: same key, server ID, nonce and thread ID lengths. */
    private static boolean sameDecoding(LbConfigEntry a, LbConfigEntry b) {
        return differences(a, b).isEmpty();
    }

    private static String differences(LbConfigEntry a, LbConfigEntry b) {
        List<String> differences = new ArrayList<>();
        if (!Objects.equals(a.key(), b.key())) {
            differences.add("key");
        }
        if (!a.serverIdLength().equals(b.serverIdLength())) {
            differences.add("serverIdLength");
        }
        if (!a.nonceLength().equals(b.nonceLength())) {
            differences.add("nonceLength");
        }
        if (!a.threadIdLength().equals(b.threadIdLength())) {
            differences.add("threadIdLength");
        }
        return String.join(" and ", differences);
    }
}
