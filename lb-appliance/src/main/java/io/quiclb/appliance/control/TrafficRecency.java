package io.quiclb.appliance.control;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToLongFunction;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * When each config ID last routed a datagram by CID and each server last got one, found by sampling the data
 * plane's counters (once a second, and again whenever asked), so the {@link ChangeGuard} can tell which configs and
 * servers live connections use. It sees only the traffic since this process started, so the configs and servers in
 * force at startup count as used then ({@link #inForceAtStart}).
 *
 * <p><b>Thread safety:</b> thread-safe; every method synchronizes on this object. The counters it samples are read
 * with the data plane's own thread-safe accessors.
 */
public final class TrafficRecency implements AutoCloseable {
    /** No traffic is ever seen: every change is judged as if nothing used the configs and servers. */
    public static final TrafficRecency NONE = new TrafficRecency(id -> 0, () -> java.util.List.of(), name -> 0,
            System::nanoTime);

    private static final int CONFIG_IDS = 8;
    private static final byte TRAFFIC = 1;
    private static final byte AT_START = 2;

    private final IntToLongFunction routedByConfig;
    private final Supplier<? extends Iterable<String>> serverNames;
    private final ToLongFunction<String> forwardedToServer;
    private final LongSupplier nanoTime;
    private final long[] configCounts = new long[CONFIG_IDS];
    private final long[] configLast = new long[CONFIG_IDS];
    private final byte[] configSeen = new byte[CONFIG_IDS];
    private final Map<String, long[]> servers = new HashMap<>();
    private ScheduledExecutorService sampler;

    /**
     * @param routedByConfig    datagrams routed by CIDs of a config ID so far (monotonic)
     * @param serverNames       the servers in force
     * @param forwardedToServer datagrams forwarded to a server so far (restarts at 0 when its entry is replaced)
     * @param nanoTime          the clock
     */
    public TrafficRecency(IntToLongFunction routedByConfig, Supplier<? extends Iterable<String>> serverNames,
                          ToLongFunction<String> forwardedToServer, LongSupplier nanoTime) {
        this.routedByConfig = routedByConfig;
        this.serverNames = serverNames;
        this.forwardedToServer = forwardedToServer;
        this.nanoTime = nanoTime;
        for (int id = 0; id < CONFIG_IDS; id++) {
            configCounts[id] = routedByConfig.applyAsLong(id);
        }
    }

    /** Samples once a second on a daemon thread of its own until {@link #close}. */
    public synchronized void start() {
        if (sampler == null) {
            sampler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread thread = new Thread(r, "quiclb-traffic-recency");
                thread.setDaemon(true);
                return thread;
            });
            sampler.scheduleAtFixedRate(this::sample, 1, 1, TimeUnit.SECONDS);
        }
    }

    @Override
    public synchronized void close() {
        if (sampler != null) {
            sampler.shutdownNow();
            sampler = null;
        }
    }

    /** Reads the counters now and notes what moved since the last reading. */
    public synchronized void sample() {
        long now = nanoTime.getAsLong();
        for (int id = 0; id < CONFIG_IDS; id++) {
            long count = routedByConfig.applyAsLong(id);
            if (count != configCounts[id]) {
                configCounts[id] = count;
                configLast[id] = now;
                configSeen[id] = TRAFFIC;
            }
        }
        Map<String, long[]> seen = new HashMap<>();
        for (String name : serverNames.get()) {
            long count = forwardedToServer.applyAsLong(name);
            long[] previous = servers.get(name);
            long[] next = previous == null ? new long[] {count, 0, 0} : previous;
            // Entries start at 0, and a replaced entry restarts at 0: any count at first sight, and growth since the
            // last reading, is traffic.
            if (previous == null ? count > 0 : count > previous[0] || count < previous[0] && count > 0) {
                next[1] = now;
                next[2] = TRAFFIC;
            }
            next[0] = count;
            seen.put(name, next);
        }
        servers.clear();
        servers.putAll(seen);
    }

    /**
     * Counts the configs and servers in force when the appliance started as used at that moment: clients may hold
     * CIDs from before a restart, and no datagram has told yet.
     *
     * @param configIds config IDs in force at startup
     * @param names     servers in force at startup
     */
    public synchronized void inForceAtStart(Iterable<Integer> configIds, Iterable<String> names) {
        long now = nanoTime.getAsLong();
        for (int id : configIds) {
            if (configSeen[id] == 0) {
                configLast[id] = now;
                configSeen[id] = AT_START;
            }
        }
        for (String name : names) {
            servers.computeIfAbsent(name, n -> new long[] {forwardedToServer.applyAsLong(n), now, AT_START});
        }
    }

    /**
     * @param configId 0..6
     * @return nanoseconds since a datagram was last routed by this config's CIDs (or since startup, when it was in
     *         force then and has routed none since), or empty when neither
     */
    public synchronized OptionalLong sinceConfigTraffic(int configId) {
        return configSeen[configId] != 0 ? OptionalLong.of(nanoTime.getAsLong() - configLast[configId])
                : OptionalLong.empty();
    }

    /**
     * @param configId 0..6
     * @return whether {@link #sinceConfigTraffic} counts from a datagram (else from startup)
     */
    public synchronized boolean configTrafficSeen(int configId) {
        return configSeen[configId] == TRAFFIC;
    }

    /**
     * @param name a server's name
     * @return nanoseconds since a datagram was last forwarded to it (or since startup, when it was in force then
     *         and has got none since), or empty when neither
     */
    public synchronized OptionalLong sinceServerTraffic(String name) {
        long[] server = servers.get(name);
        return server != null && server[2] != 0 ? OptionalLong.of(nanoTime.getAsLong() - server[1])
                : OptionalLong.empty();
    }

    /**
     * @param name a server's name
     * @return whether {@link #sinceServerTraffic} counts from a datagram (else from startup)
     */
    public synchronized boolean serverTrafficSeen(String name) {
        long[] server = servers.get(name);
        return server != null && server[2] == TRAFFIC;
    }
}
