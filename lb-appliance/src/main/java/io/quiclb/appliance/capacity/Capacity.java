package io.quiclb.appliance.capacity;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * How many NAT flows the machine allows, worked out at startup from what the process may hold:
 * <pre>
 * socketBudget = descriptorLimit - reserve
 *                reserve = descriptors open at startup + workers x (listeners + 4) + probed targets + 256
 * perTarget    = min(socketBudget, sources x portsPerSource)
 *                portsPerSource = the local port range (net.ipv4.ip_local_port_range) less its reserved ports
 *                sources = the fewest source addresses of an address family that has targets
 * flows        = targets x perTarget
 * effective    = min(forwarder.maxFlows, flows)
 * handshakes   = forwarder.maxHandshakes, or effective / 4, at most effective
 * </pre>
 * An upstream socket carries one flow to each target (the forwarder shares sockets between targets), so a flow needs
 * a descriptor and a local port only per target: n targets multiply what descriptors and ports allow by n. The
 * descriptor limit is the soft one, which the JVM raises to the hard one at startup ({@code -XX:+MaxFDLimit}, on
 * by default). The reserve keeps descriptors for the admin and API connectors (256 connections), health probes, the
 * listeners and each event loop's own, so they keep working when flows use every socket of the budget.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param descriptorLimit    descriptors the process may open
 * @param descriptorsInUse   descriptors open when measured
 * @param reserve            descriptors kept from the data plane
 * @param socketBudget       upstream sockets the workers may hold together
 * @param portsPerSource     local ports each source address offers
 * @param sources            source addresses a target's flows can use ({@link #sourcesPerTarget})
 * @param targets            distinct target addresses (server addresses and thread sockets)
 * @param perTarget          flows to one target at most
 * @param flows              flows the machine allows, spread over every target
 * @param maxFlowsConfigured {@code forwarder.maxFlows}
 * @param effectiveMaxFlows  the flow limit in force
 * @param maxHandshakes      the handshake budget in force
 */
public record Capacity(long descriptorLimit, long descriptorsInUse, long reserve, long socketBudget,
                       long portsPerSource, int sources, int targets, long perTarget, long flows,
                       long maxFlowsConfigured, long effectiveMaxFlows, long maxHandshakes) {
    /** Descriptors reserved for the admin and API connectors' connections. */
    public static final int HTTP_RESERVE = 256;
    /** Descriptors per worker beyond its listeners: its event loop's own (epoll or ring, event fd, timer). */
    public static final int PER_WORKER_RESERVE = 4;
    private static final Path PORT_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final Path RESERVED_PORTS = Path.of("/proc/sys/net/ipv4/ip_local_reserved_ports");
    private static final int DEFAULT_LOW_PORT = 32768;
    private static final int DEFAULT_HIGH_PORT = 60999;

    /**
     * Source addresses a flow to any target can use. A flow's upstream socket binds a source of its target's address
     * family ({@code forwarder.upstreamSources} of that family, else the family's wildcard: one), so the family with
     * the fewest sources, among those that have targets, bounds the flows to each of its targets.
     *
     * @param sources {@code forwarder.upstreamSources}; empty for the wildcard
     * @param targets the distinct target addresses
     * @return at least 1
     */
    public static int sourcesPerTarget(List<InetAddress> sources, Collection<InetSocketAddress> targets) {
        int v6 = 0;
        for (InetAddress source : sources) {
            if (source instanceof Inet6Address) {
                v6++;
            }
        }
        int v4 = sources.size() - v6;
        int fewest = Integer.MAX_VALUE;
        for (InetSocketAddress target : targets) {
            int family = target.getAddress() instanceof Inet6Address ? v6 : v4;
            fewest = Math.min(fewest, Math.max(1, family));
        }
        return fewest == Integer.MAX_VALUE ? Math.max(1, Math.max(v4, v6)) : fewest;
    }

    /**
     * Measures this process and machine.
     *
     * @param workers            {@code forwarder.workers}
     * @param listeners          listener sockets per worker at startup (a wildcard's include one per interface
     *                           address of its family)
     * @param sources            source addresses a target's flows can use ({@link #sourcesPerTarget})
     * @param targets            distinct target addresses in the routing state
     * @param probedTargets      addresses the health prober keeps a socket for
     * @param maxFlowsConfigured {@code forwarder.maxFlows}
     * @param maxHandshakes      {@code forwarder.maxHandshakes}, or null for the default
     * @return the capacity
     */
    public static Capacity measure(int workers, int listeners, int sources, int targets, int probedTargets,
                                   long maxFlowsConfigured, Long maxHandshakes) {
        long[] descriptors = descriptors();
        return compute(descriptors[0], descriptors[1], workers, listeners, sources, targets, probedTargets,
                localPorts(), maxFlowsConfigured, maxHandshakes);
    }

    /**
     * The formula, from given measurements.
     *
     * @return the capacity
     */
    public static Capacity compute(long descriptorLimit, long descriptorsInUse, int workers, int listeners,
                                   int sources, int targets, int probedTargets, long portsPerSource,
                                   long maxFlowsConfigured, Long maxHandshakes) {
        long reserve = descriptorsInUse + (long) workers * (listeners + PER_WORKER_RESERVE) + probedTargets
                + HTTP_RESERVE;
        long socketBudget = Math.max(0, descriptorLimit - reserve);
        int sourceCount = Math.max(1, sources);
        long perTarget = Math.min(socketBudget, sourceCount * portsPerSource);
        int targetCount = Math.max(1, targets);
        long flows = targetCount * perTarget;
        long effective = Math.max(1, Math.min(maxFlowsConfigured, flows));
        long handshakes = maxHandshakes == null ? Math.max(1, effective / 4) : Math.min(maxHandshakes, effective);
        return new Capacity(descriptorLimit, descriptorsInUse, reserve, socketBudget, portsPerSource, sourceCount,
                targetCount, perTarget, flows, maxFlowsConfigured, effective, handshakes);
    }

    /** @return whether {@code forwarder.maxFlows} is above what the machine allows, so it was lowered */
    public boolean clamped() {
        return effectiveMaxFlows < maxFlowsConfigured;
    }

    /** @return the flow limit, where it comes from and how to raise it, in one line for the log and {@code check} */
    public String describe() {
        StringBuilder text = new StringBuilder("capacity: ").append(effectiveMaxFlows).append(" flows");
        if (clamped()) {
            text.append(" (forwarder.maxFlows ").append(maxFlowsConfigured)
                    .append(" lowered to what the machine allows)");
        } else {
            text.append(" (forwarder.maxFlows; the machine allows ").append(flows).append(')');
        }
        text.append(": ").append(targets).append(" target(s) x ").append(perTarget)
                .append(" flows per target; per target = min(").append(socketBudget).append(" sockets [")
                .append(descriptorLimit).append(" descriptors - ").append(reserve).append(" reserved], ")
                .append(sources).append(" source address(es) x ").append(portsPerSource)
                .append(" local ports); handshakes in progress at most ").append(maxHandshakes);
        if (clamped()) {
            text.append(socketBudget <= sources * portsPerSource
                    ? ". For more flows raise the descriptor limit (ulimit -n; systemd LimitNOFILE=)"
                    : ". For more flows add source addresses (forwarder.upstreamSources)");
            text.append(", or set forwarder.maxFlows to at most ").append(flows).append(" to silence this");
        }
        return text.toString();
    }

    /** @return {descriptor limit, descriptors open now} of this process; a Linux default when unknown */
    static long[] descriptors() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return new long[] {unix.getMaxFileDescriptorCount(), unix.getOpenFileDescriptorCount()};
        }
        return new long[] {1024, 64};
    }

    /** @return the ports of the kernel's local port range less the reserved ones in it */
    static long localPorts() {
        // /proc files report a size of 0, which Files.readString takes at its word: read them line by line.
        try {
            String[] range = String.join(" ", Files.readAllLines(PORT_RANGE, StandardCharsets.US_ASCII)).trim()
                    .split("\\s+");
            String reserved = Files.isReadable(RESERVED_PORTS)
                    ? String.join(",", Files.readAllLines(RESERVED_PORTS, StandardCharsets.US_ASCII)).trim() : "";
            return portsIn(Integer.parseInt(range[0]), Integer.parseInt(range[1]), reserved);
        } catch (IOException | RuntimeException e) {
            // Not Linux, or not readable: the kernel's default range.
            return portsIn(DEFAULT_LOW_PORT, DEFAULT_HIGH_PORT, "");
        }
    }

    /**
     * @param low      first port of the range
     * @param high     last port of the range
     * @param reserved {@code ip_local_reserved_ports}: comma-separated ports and ranges ("8080,9000-9010")
     * @return ports of the range not reserved
     */
    static long portsIn(int low, int high, String reserved) {
        long ports = Math.max(0, high - low + 1);
        if (!reserved.isEmpty()) {
            for (String part : reserved.split(",")) {
                String[] bounds = part.trim().split("-");
                int from = Integer.parseInt(bounds[0].trim());
                int to = bounds.length > 1 ? Integer.parseInt(bounds[1].trim()) : from;
                ports -= Math.max(0, Math.min(to, high) - Math.max(from, low) + 1);
            }
        }
        return Math.max(0, ports);
    }
}
