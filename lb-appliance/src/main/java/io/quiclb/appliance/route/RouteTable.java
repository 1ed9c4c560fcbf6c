package io.quiclb.appliance.route;

import io.quiclb.codec.QuicLbConfig;
import java.util.List;

/**
 * An immutable snapshot of everything the data plane routes with: the QUIC-LB configurations by config ID, the
 * server ID → server index of each, the live servers, and the fallback hash over the servers that may take new
 * first flights. Workers read the current table once per datagram (one volatile read) and never see a half-built
 * one; the control plane builds a new table for every change ({@link RoutingService}).
 *
 * <p><b>Thread safety:</b> immutable; shared by all workers.
 */
public final class RouteTable {
    private final long version;
    private final QuicLbConfig[] configs;
    private final ServerIdIndex[] indexes;
    private final ServerHandle[] bySlot;
    private final List<ServerHandle> servers;
    private final MaglevTable fallback;
    private final java.util.Set<ServerHandle> eligible;
    private final int healthyServers;
    private final Placement[][] firstFlightBySlot;
    private final boolean panic;

    RouteTable(long version, QuicLbConfig[] configs, ServerIdIndex[] indexes, ServerHandle[] bySlot,
               List<ServerHandle> servers, List<ServerHandle> fallbackEligible, int healthyServers,
               Placement[][] firstFlightBySlot, boolean panic) {
        this.panic = panic;
        this.healthyServers = healthyServers;
        this.firstFlightBySlot = firstFlightBySlot;
        this.version = version;
        this.configs = configs;
        this.indexes = indexes;
        this.bySlot = bySlot;
        this.servers = List.copyOf(servers);
        this.fallback = new MaglevTable(fallbackEligible);
        this.eligible = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        this.eligible.addAll(fallbackEligible);
    }

    /** @return a number that grows with every published table */
    public long version() {
        return version;
    }

    /**
     * @param configId 0..7
     * @return the configuration with this ID, or null
     */
    public QuicLbConfig config(int configId) {
        return configId >= 0 && configId < configs.length ? configs[configId] : null;
    }

    /**
     * @param configId a configuration's ID (0..6)
     * @param sid      array holding a decoded server ID
     * @param offset   its first octet
     * @param length   its length
     * @return the server that owns it in that configuration, or null
     */
    public ServerHandle server(int configId, byte[] sid, int offset, int length) {
        ServerIdIndex index = indexes[configId];
        return index == null ? null : index.find(sid, offset, length);
    }

    /**
     * @param flowHash a hash of the client 4-tuple
     * @return the fallback server for it, or null when no server is eligible
     */
    public ServerHandle fallback(int flowHash) {
        return fallback.pick(flowHash);
    }

    /**
     * Where a new connection's first flight goes on a server the fallback hash chose: one of its thread sockets that
     * answers health probes, spread evenly by the same hash (decorrelated from the server choice), or its address
     * when it has no thread sockets. Allocates nothing.
     *
     * @param server   a server of this table
     * @param flowHash the hash that chose it
     * @return the placement
     */
    public Placement firstFlight(ServerHandle server, int flowHash) {
        Placement[] placements = firstFlightBySlot[server.slot()];
        if (placements.length == 1) {
            return placements[0];
        }
        // Fibonacci-mix the hash, then map it onto [0, n) by multiply-shift (Lemire): even, and no division.
        long mixed = (flowHash * 0x9E3779B9L) & 0xffffffffL;
        return placements[(int) ((mixed * placements.length) >>> 32)];
    }

    /**
     * @param server a handle from this or an earlier table
     * @return whether the server is still in this table
     */
    public boolean isLive(ServerHandle server) {
        int slot = server.slot();
        return slot < bySlot.length && bySlot[slot] == server;
    }

    /**
     * @param server a server of this table
     * @return whether it takes new first flights (it is not draining)
     */
    public boolean takesNewFlows(ServerHandle server) {
        return eligible.contains(server);
    }

    /** @return the servers, in configuration order */
    public List<ServerHandle> servers() {
        return servers;
    }

    /**
     * @param name a server's name
     * @return its handle in this table, or null
     */
    public ServerHandle server(String name) {
        for (ServerHandle server : servers()) {
            if (server.name().equals(name)) {
                return server;
            }
        }
        return null;
    }

    /**
     * @param name a server's name
     * @return datagrams forwarded to it since its entry was created with these addresses; 0 when it has none here
     */
    public long forwardedTo(String name) {
        ServerHandle server = server(name);
        return server == null ? 0 : server.forwarded().sum();
    }

    /**
     * @return whether the table is in panic mode: too few servers answer health probes
     *         ({@link RoutingService#setPanicThreshold}), so every server that is not draining takes first flights
     */
    public boolean panic() {
        return panic;
    }

    /** @return how many servers answer health probes (or have not been probed yet) */
    public int healthyServers() {
        return healthyServers;
    }

    /** @return how many configurations are installed */
    public int configCount() {
        int count = 0;
        for (QuicLbConfig config : configs) {
            count += config == null ? 0 : 1;
        }
        return count;
    }
}
