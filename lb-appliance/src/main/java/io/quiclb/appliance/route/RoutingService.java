package io.quiclb.appliance.route;

import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.RoutingConfigCheck;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.control.RoutingState;
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Owns the current {@link RouteTable} and publishes a new one for every change, with one volatile write: every
 * worker sees the whole new table on its next datagram, never a mix. Server handles are kept across tables while
 * a server's name and addresses stay the same, so flows and remembered fallback decisions stay valid.
 *
 * <p><b>Thread safety:</b> {@link #current()} from any thread; {@link #publish} is synchronized, so concurrent
 * changes apply one after the other.
 */
public final class RoutingService {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RoutingService.class);
    /** {@code health.panicThreshold}'s default, in per cent. */
    public static final int DEFAULT_PANIC_THRESHOLD = 50;
    private final int workers;
    private volatile int panicThreshold = DEFAULT_PANIC_THRESHOLD;
    private volatile RouteTable current;
    private final Map<String, ServerHandle> handles = new HashMap<>();
    private long version;

    /**
     * @param workers number of forwarder workers (sizes per-worker counters)
     * @param quicLb  initial configurations
     * @param servers initial servers
     * @throws IllegalArgumentException listing every problem, when the two are inconsistent
     */
    public RoutingService(int workers, QuicLbSettings quicLb, List<ServerEntry> servers) {
        this.workers = workers;
        publish(quicLb, servers);
    }

    /**
     * @param workers number of forwarder workers (sizes per-worker counters)
     * @param state   the initial configurations, servers and draining servers
     * @throws IllegalArgumentException listing every problem, when the state is inconsistent
     */
    public RoutingService(int workers, RoutingState state) {
        this.workers = workers;
        publish(state);
    }

    /**
     * Sets the panic threshold (Envoy's panic mode): when fewer than this share of the servers that are not draining
     * answer health probes, first flights go to every server that is not draining, as if all answered, rather than
     * crowd onto the few (or, with none, be dropped). Takes effect with the next published table.
     *
     * @param percent 0..100; 0 never panics
     */
    public void setPanicThreshold(int percent) {
        this.panicThreshold = percent;
    }

    /** @return the table in force; workers call this once per datagram */
    public RouteTable current() {
        return current;
    }

    /**
     * Validates and publishes a new table.
     *
     * @param quicLb  the configurations
     * @param servers the servers
     * @return the published table
     * @throws IllegalArgumentException listing every problem; nothing is published then
     */
    public synchronized RouteTable publish(QuicLbSettings quicLb, List<ServerEntry> servers) {
        return publish(new RoutingState(quicLb.configs(), servers, java.util.Set.of()));
    }

    /**
     * Validates and publishes a new table; draining servers stay routable by CID but take no new first flights.
     *
     * @param state the configurations, servers and draining servers
     * @return the published table
     * @throws IllegalArgumentException listing every problem; nothing is published then
     */
    public synchronized RouteTable publish(RoutingState state) {
        return publish(state, java.util.Set.of());
    }

    /**
     * Validates and publishes a new table; draining servers and servers whose health probes fail stay routable by
     * CID but take no new first flights.
     *
     * @param state the configurations, servers and draining servers
     * @param down  names of servers whose health probes fail
     * @return the published table
     * @throws IllegalArgumentException listing every problem; nothing is published then
     */
    public synchronized RouteTable publish(RoutingState state, java.util.Set<String> down) {
        return publish(state, down, java.util.Set.of());
    }

    /**
     * Validates and publishes a new table; draining servers and servers whose health probes fail stay routable by
     * CID but take no new first flights, and thread sockets whose probes fail take no new first flights either
     * (unless every socket of their server does, when first flights are spread over all of them as before).
     *
     * @param state       the configurations, servers and draining servers
     * @param down        names of servers whose health probes fail
     * @param downSockets thread sockets whose health probes fail
     * @return the published table
     * @throws IllegalArgumentException listing every problem; nothing is published then
     */
    public synchronized RouteTable publish(RoutingState state, java.util.Set<String> down,
                                           java.util.Set<InetSocketAddress> downSockets) {
        QuicLbSettings quicLb = new QuicLbSettings(state.configs());
        List<ServerEntry> servers = state.servers();
        List<String> problems = RoutingConfigCheck.problems(quicLb, servers);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        QuicLbConfig[] configs = new QuicLbConfig[QuicLbConfig.MAX_CONFIG_ID + 1];
        for (LbConfigEntry entry : quicLb.configs()) {
            QuicLbConfig config = entry.toQuicLbConfig();
            configs[config.configId()] = config;
        }
        Map<String, ServerHandle> nextHandles = new HashMap<>();
        List<ServerHandle> list = new ArrayList<>();
        boolean[] usedSlots = new boolean[servers.size() + handles.size() + 1];
        List<ServerEntry> needNewHandle = new ArrayList<>();
        Map<ServerEntry, List<InetSocketAddress>> resolvedSockets = new IdentityHashMap<>();
        Map<ServerEntry, InetSocketAddress> resolvedAddress = new IdentityHashMap<>();
        for (ServerEntry server : servers) {
            InetSocketAddress address = server.address().resolve();
            List<InetSocketAddress> sockets = new ArrayList<>();
            for (HostPort socket : server.threadSockets()) {
                sockets.add(socket.resolve());
            }
            resolvedAddress.put(server, address);
            resolvedSockets.put(server, sockets);
            ServerHandle old = handles.get(server.name());
            if (old != null && old.sameAddresses(server.name(), address, sockets) && old.slot() < usedSlots.length) {
                nextHandles.put(server.name(), old);
                usedSlots[old.slot()] = true;
            } else {
                needNewHandle.add(server);
            }
        }
        int freeSlot = 0;
        for (ServerEntry server : needNewHandle) {
            while (usedSlots[freeSlot]) {
                freeSlot++;
            }
            usedSlots[freeSlot] = true;
            nextHandles.put(server.name(), new ServerHandle(server.name(), resolvedAddress.get(server),
                    resolvedSockets.get(server), freeSlot, workers));
        }
        ServerHandle[] bySlot = new ServerHandle[usedSlots.length];
        List<Map<byte[], ServerHandle>> sids = new ArrayList<>();
        for (int i = 0; i < configs.length; i++) {
            sids.add(new IdentityHashMap<>());
        }
        for (ServerEntry server : servers) {
            ServerHandle handle = nextHandles.get(server.name());
            list.add(handle);
            bySlot[handle.slot()] = handle;
            for (Map.Entry<Integer, String> sid : server.serverIds().entrySet()) {
                sids.get(sid.getKey()).put(Hex.decode("serverId", sid.getValue()), handle);
            }
        }
        ServerIdIndex[] indexes = new ServerIdIndex[configs.length];
        for (int i = 0; i < configs.length; i++) {
            if (configs[i] != null) {
                indexes[i] = new ServerIdIndex(configs[i].serverIdLength(), sids.get(i));
            }
        }
        List<ServerHandle> notDraining = new ArrayList<>();
        List<ServerHandle> up = new ArrayList<>();
        for (ServerHandle handle : list) {
            if (!state.draining().contains(handle.name())) {
                notDraining.add(handle);
                if (!down.contains(handle.name())) {
                    up.add(handle);
                }
            }
        }
        // Panic mode: too few servers answer probes; the probes are more likely wrong than the servers.
        boolean panic = !notDraining.isEmpty() && (long) up.size() * 100 < (long) panicThreshold * notDraining.size();
        List<ServerHandle> eligible = panic ? notDraining : up;
        List<ServerHandle> healthy = list.stream().filter(h -> !down.contains(h.name())).toList();
        Placement[][] firstFlight = new Placement[bySlot.length][];
        for (ServerHandle handle : list) {
            List<Placement> all = handle.placements();
            List<Placement> answering = all.stream().filter(p -> !downSockets.contains(p.target())).toList();
            firstFlight[handle.slot()] = (answering.isEmpty() ? all : answering).toArray(new Placement[0]);
        }
        RouteTable table = new RouteTable(++version, configs, indexes, bySlot, list, eligible, healthy.size(),
                firstFlight, panic);
        RouteTable before = current;
        if (panic && (before == null || !before.panic())) {
            LOG.warn("panic mode: {} of {} server(s) that are not draining answer health probes, fewer than"
                    + " health.panicThreshold={}%; first flights go to all {} as if every one answered",
                    up.size(), notDraining.size(), panicThreshold, notDraining.size());
        } else if (!panic && before != null && before.panic()) {
            LOG.info("panic mode over: {} of {} server(s) that are not draining answer health probes", up.size(),
                    notDraining.size());
        }
        handles.clear();
        handles.putAll(nextHandles);
        current = table;
        return table;
    }
}
