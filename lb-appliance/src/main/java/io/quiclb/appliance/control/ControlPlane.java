package io.quiclb.appliance.control;

import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.RoutingConfigCheck;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.codec.Hex;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies operators' changes: each one is validated as a whole new state (draft-21 §5.3 limits, unique server IDs
 * per config), written to the state file, and only then published to the data plane as one new route table. A
 * change that fails validation or cannot be written changes nothing.
 *
 * <p>The state file, when present at startup, wins over the seeds in config.yml.
 *
 * <p><b>Thread safety:</b> thread-safe; changes are serialized.
 */
public final class ControlPlane {
    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);

    private final RoutingService routing;
    private final StateStore store;
    private final Runnable onChange;
    private RoutingState state;
    private final Set<String> down = new HashSet<>();
    private final Set<InetSocketAddress> downSockets = new HashSet<>();

    private ControlPlane(RoutingService routing, StateStore store, RoutingState state, Runnable onChange) {
        this.routing = routing;
        this.store = store;
        this.state = state;
        this.onChange = onChange;
    }

    /**
     * The initial state: the state file's when it exists, else the seeds from config.yml.
     *
     * @param store the state file
     * @param seeds configurations and servers from config.yml
     * @return the state to start with
     * @throws IllegalStateException when the state file exists but is unreadable or invalid
     */
    public static RoutingState initialState(StateStore store, RoutingState seeds) {
        Optional<RoutingState> stored = store.load();
        if (stored.isPresent()) {
            RoutingState state = stored.get();
            List<String> problems = RoutingConfigCheck.problems(new QuicLbSettings(state.configs()), state.servers());
            if (!problems.isEmpty()) {
                throw new IllegalStateException("state file " + store.file() + " is not a valid state: "
                        + String.join("; ", problems) + " (fix or move it away; it is never replaced automatically)");
            }
            LOG.info("state from {} ({} config(s), {} server(s)); config.yml's quicLb and servers are seeds only",
                    store.file(), state.configs().size(), state.servers().size());
            return state;
        }
        return seeds;
    }

    /**
     * @param routing the routing service, already built from {@code state}
     * @param store   the state file
     * @param state    the state in force
     * @param onChange called after every published change (e.g. to resync per-server metrics)
     * @return a control plane
     */
    public static ControlPlane of(RoutingService routing, StateStore store, RoutingState state, Runnable onChange) {
        return new ControlPlane(routing, store, state, onChange);
    }

    /** @return the state in force */
    public synchronized RoutingState state() {
        return state;
    }

    /**
     * Adds or replaces the configuration with this config ID.
     *
     * @param entry the configuration
     */
    public synchronized void putConfig(LbConfigEntry entry) {
        List<LbConfigEntry> configs = new ArrayList<>();
        for (LbConfigEntry c : state.configs()) {
            if (!c.configId().equals(entry.configId())) {
                configs.add(c);
            }
        }
        configs.add(entry);
        configs.sort((a, b) -> a.configId() - b.configId());
        apply(new RoutingState(configs, state.servers(), state.draining()));
    }

    /**
     * Deletes a configuration, and the server IDs servers hold in it (the last step of a rotation, draft-21 §3.1).
     *
     * @param configId the config ID
     * @throws ApiException 404 when there is none
     */
    public synchronized void deleteConfig(int configId) {
        if (state.configs().stream().noneMatch(c -> c.configId() == configId)) {
            throw new ApiException(ApiException.NOT_FOUND, List.of("configId: no config " + configId));
        }
        List<LbConfigEntry> configs = state.configs().stream().filter(c -> c.configId() != configId).toList();
        List<ServerEntry> servers = new ArrayList<>();
        for (ServerEntry s : state.servers()) {
            Map<Integer, String> ids = new HashMap<>(s.serverIds());
            ids.remove(configId);
            servers.add(s.withServerIds(ids));
        }
        apply(new RoutingState(configs, servers, state.draining()));
    }

    /**
     * Adds or replaces a server.
     *
     * @param server the server
     * @throws ApiException 409 when one of its server IDs belongs to another server in that config
     */
    public synchronized void putServer(ServerEntry server) {
        List<String> conflicts = new ArrayList<>();
        for (Map.Entry<Integer, String> sid : server.serverIds().entrySet()) {
            for (ServerEntry other : state.servers()) {
                String theirs = other.serverIds().get(sid.getKey());
                if (!other.name().equals(server.name()) && theirs != null && sameHex(theirs, sid.getValue())) {
                    conflicts.add("serverIds[" + sid.getKey() + "]: must be unique within config " + sid.getKey()
                            + ": serverId=" + sid.getValue() + " belongs to " + other.name());
                }
            }
        }
        if (!conflicts.isEmpty()) {
            throw new ApiException(ApiException.CONFLICT, conflicts);
        }
        List<ServerEntry> servers = new ArrayList<>();
        boolean replaced = false;
        for (ServerEntry s : state.servers()) {
            if (s.name().equals(server.name())) {
                servers.add(server);
                replaced = true;
            } else {
                servers.add(s);
            }
        }
        if (!replaced) {
            servers.add(server);
        }
        apply(new RoutingState(state.configs(), servers, state.draining()));
    }

    /**
     * @param name a server's name
     * @throws ApiException 404 when there is none
     */
    public synchronized void deleteServer(String name) {
        requireServer(name);
        Set<String> draining = new HashSet<>(state.draining());
        draining.remove(name);
        apply(new RoutingState(state.configs(),
                state.servers().stream().filter(s -> !s.name().equals(name)).toList(), draining));
    }

    /**
     * Stops or resumes new first flights to a server; datagrams whose CIDs name it still reach it.
     *
     * @param name     a server's name
     * @param draining true to drain, false to undrain
     * @throws ApiException 404 when there is none
     */
    public synchronized void setDraining(String name, boolean draining) {
        requireServer(name);
        Set<String> names = new HashSet<>(state.draining());
        if (draining ? names.add(name) : names.remove(name)) {
            apply(new RoutingState(state.configs(), state.servers(), names));
        }
    }

    /**
     * Records a health probe verdict: a down server takes no new first flights. Not persisted: health is measured
     * again after a restart.
     *
     * @param name    a server's name
     * @param healthy whether its address answers probes
     */
    public synchronized void setHealthy(String name, boolean healthy) {
        boolean changed = healthy ? down.remove(name) : down.add(name);
        if (changed) {
            routing.publish(state, down, downSockets);
            onChange.run();
        }
    }

    /**
     * Records the thread sockets whose health probes fail: they take no new first flights (their threads still get
     * the datagrams of connections they own). Not persisted.
     *
     * @param sockets every thread socket that is down now
     */
    public synchronized void setDownThreadSockets(Set<InetSocketAddress> sockets) {
        if (!downSockets.equals(sockets)) {
            downSockets.clear();
            downSockets.addAll(sockets);
            routing.publish(state, down, downSockets);
            onChange.run();
        }
    }

    /**
     * @param name a server's name
     * @return whether its address answers health probes (true until proven otherwise)
     */
    public synchronized boolean isHealthy(String name) {
        return !down.contains(name);
    }

    /**
     * @param socket a thread socket
     * @return whether its health probes fail (false until proven otherwise)
     */
    public synchronized boolean isThreadSocketDown(InetSocketAddress socket) {
        return downSockets.contains(socket);
    }

    private void requireServer(String name) {
        if (state.servers().stream().noneMatch(s -> s.name().equals(name))) {
            throw new ApiException(ApiException.NOT_FOUND, List.of("name: no server " + name));
        }
    }

    /** Validates, persists, publishes; on any failure nothing changes. */
    private void apply(RoutingState next) {
        List<String> problems = RoutingConfigCheck.problems(new QuicLbSettings(next.configs()), next.servers());
        if (!problems.isEmpty()) {
            throw new ApiException(ApiException.UNPROCESSABLE, problems);
        }
        try {
            store.save(next);
        } catch (IOException e) {
            LOG.error("state file {} could not be written; the change was not applied", store.file(), e);
            throw new ApiException(ApiException.UNAVAILABLE,
                    List.of("state file could not be written; nothing changed: " + e.getMessage()));
        }
        down.retainAll(next.servers().stream().map(ServerEntry::name).toList());
        routing.publish(next, down, downSockets);
        state = next;
        onChange.run();
    }

    private static boolean sameHex(String a, String b) {
        try {
            return java.util.Arrays.equals(Hex.decode("serverId", a), Hex.decode("serverId", b));
        } catch (IllegalArgumentException e) {
            return false; // the general validation reports malformed server IDs
        }
    }
}
