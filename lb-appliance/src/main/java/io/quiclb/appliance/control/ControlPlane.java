package io.quiclb.appliance.control;

import io.quiclb.appliance.audit.AuditHistory;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.OwnAddresses;
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
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies operators' changes: each one is validated as a whole new state (draft-21 §5.3 limits, unique server IDs
 * per config, servers that are not the appliance's own listeners), judged by the {@link ChangeGuard} (a change that
 * would break live connections needs {@code force}), written to the state file, only then published to the data
 * plane as one new route table, and recorded in the {@link AuditHistory}. A change that fails validation, is
 * refused, or cannot be written changes nothing; a dry run stops after judging.
 *
 * <p>The state file, when present at startup, wins over the seeds in config.yml ({@link InitialState}).
 *
 * <p><b>Thread safety:</b> thread-safe; changes are serialized.
 */
public final class ControlPlane {
    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);

    private final RoutingService routing;
    private final StateBackend store;
    /** The revision of {@link #state} in the store (a shared store's; the state file counts its own writes). */
    private long revision;
    private final Runnable onChange;
    private final Supplier<OwnAddresses> own;
    private final ChangeGuard guard;
    private final AuditHistory audit;
    private RoutingState state;
    private final Set<String> down = new HashSet<>();
    private final Set<InetSocketAddress> downSockets = new HashSet<>();
    private String frozen;
    private ConfigIdHold held = new ConfigIdHold(0, System::currentTimeMillis);

    private ControlPlane(RoutingService routing, StateBackend store, RoutingState state, Runnable onChange,
                         Supplier<OwnAddresses> own, ChangeGuard guard, AuditHistory audit) {
        this.routing = routing;
        this.store = store;
        this.state = state;
        this.onChange = onChange;
        this.own = own;
        this.guard = guard;
        this.audit = audit;
    }

    /**
     * A control plane without loop checks, change guard or audit history (tests of the data plane).
     *
     * @param routing  the routing service, already built from {@code state}
     * @param store    where accepted changes are kept: the state file, or the fleet store
     * @param state    the state in force
     * @param onChange called after every published change (e.g. to resync per-server metrics)
     * @return a control plane
     */
    public static ControlPlane of(RoutingService routing, StateBackend store, RoutingState state, Runnable onChange) {
        return of(routing, store, state, onChange, () -> OwnAddresses.NONE,
                new ChangeGuard(TrafficRecency.NONE, 0), new AuditHistory(1, java.time.Clock.systemUTC()));
    }

    /**
     * @param routing  the routing service, already built from {@code state}
     * @param store    where accepted changes are kept: the state file, or the fleet store
     * @param state    the state in force
     * @param onChange called after every published change (e.g. to resync per-server metrics)
     * @param own      the appliance's listeners, which no server may be
     * @param guard    what a change would break
     * @param audit    where accepted changes are recorded
     * @return a control plane
     */
    public static ControlPlane of(RoutingService routing, StateBackend store, RoutingState state, Runnable onChange,
                                  Supplier<OwnAddresses> own, ChangeGuard guard, AuditHistory audit) {
        return new ControlPlane(routing, store, state, onChange, own, guard, audit);
    }

    /** @return the state in force */
    public synchronized RoutingState state() {
        return state;
    }

    /**
     * Holds deleted config IDs back from reuse (draft-21 §3.1: clients may still hold CIDs of the old config).
     *
     * @param graceMillis how long after its deletion a config ID may not be used again ({@code
     *                    quicLb.configIdReuseGrace}); 0 for never held back
     * @param clock       milliseconds since the epoch
     */
    public synchronized void holdDeletedConfigIds(long graceMillis, LongSupplier clock) {
        this.held = new ConfigIdHold(graceMillis, clock);
    }

    /** @return the revision of the state in force, in its store */
    public synchronized long revision() {
        return revision;
    }

    /**
     * Before the first change: the revision the initial state has in a shared store.
     *
     * @param revision its revision
     */
    public synchronized void startAt(long revision) {
        this.revision = revision;
    }

    /**
     * A state another appliance of the fleet wrote to the shared store: published as one route-table swap if it is
     * newer than the state in force (a revision seen before, this appliance's own write included, changes nothing).
     * It was validated by the appliance that wrote it; what this appliance finds wrong with it (a server at one of
     * its own listeners) is logged, and it is applied all the same, so the fleet routes alike.
     *
     * @param stored   the revision
     * @param next     the state at that revision
     * @return whether it was applied
     */
    public synchronized boolean applyStored(long stored, RoutingState next) {
        if (stored <= revision) {
            return false;
        }
        List<String> problems = RoutingConfigCheck.check(new QuicLbSettings(next.configs()), next.servers(), own.get())
                .stream().map(io.quiclb.appliance.config.Problem::inApi).toList();
        if (!problems.isEmpty()) {
            LOG.error("{} revision {}: this appliance finds problems with it, and applies it all the same so the"
                    + " fleet routes alike: {}", store.describe(), stored, String.join("; ", problems));
        }
        down.retainAll(next.servers().stream().map(ServerEntry::name).toList());
        routing.publish(next, down, downSockets);
        state = next;
        revision = stored;
        onChange.run();
        LOG.info("{}: applied revision {} ({} config(s), {} server(s))", store.describe(), stored,
                next.configs().size(), next.servers().size());
        return true;
    }

    /**
     * Refuses every change (503 with the reason) until {@link #thaw}: while a takeover reads the state file, or
     * after this appliance handed over to another one.
     *
     * @param reason what a refused change is told
     */
    public synchronized void freeze(String reason) {
        frozen = reason;
    }

    /** Accepts changes again (a takeover rolled back). */
    public synchronized void thaw() {
        frozen = null;
    }

    /** @return the history of accepted changes */
    public AuditHistory audit() {
        return audit;
    }

    /**
     * Adds or replaces the configuration with this config ID.
     *
     * @param entry  the configuration
     * @param method the API method, for the audit log (PUT or PATCH)
     * @param change who asks, and how
     * @return what it did
     * @throws ApiException 422 when invalid, 409 when it would break live connections and is not forced
     */
    public synchronized ChangeResult putConfig(LbConfigEntry entry, String method, Change change) {
        boolean exists = state.configs().stream().anyMatch(c -> c.configId().equals(entry.configId()));
        if (!exists && !change.force()) {
            held.refuseReuse(state.retired(), entry.configId());
        }
        List<LbConfigEntry> configs = new ArrayList<>();
        for (LbConfigEntry c : state.configs()) {
            if (!c.configId().equals(entry.configId())) {
                configs.add(c);
            }
        }
        configs.add(entry);
        configs.sort((a, b) -> a.configId() - b.configId());
        return commit(change, method + " configs/" + entry.configId(), false, String.valueOf(entry.configId()),
                held.released(state.with(configs, state.servers(), state.draining()), entry.configId()));
    }

    /**
     * Deletes a configuration, and the server IDs servers hold in it (the last step of a rotation, draft-21 §3.1).
     *
     * @param configId the config ID
     * @param change   who asks, and how
     * @return what it did
     * @throws ApiException 404 when there is none, 409 when live CIDs use it and it is not forced
     */
    public synchronized ChangeResult deleteConfig(int configId, Change change) {
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
        return commit(change, "DELETE configs/" + configId, false, String.valueOf(configId),
                new RoutingState(configs, servers, state.draining(), held.retire(state.retired(), configId)));
    }

    /**
     * Adds or replaces a server.
     *
     * @param server the server
     * @param method the API method, for the audit log (PUT or PATCH)
     * @param change who asks, and how
     * @return what it did
     * @throws ApiException 409 when one of its server IDs belongs to another server in that config, or when it would
     *                      break live connections and is not forced; 422 when invalid
     */
    public synchronized ChangeResult putServer(ServerEntry server, String method, Change change) {
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
        return commit(change, method + " servers/" + server.name(), true, server.name(),
                state.with(state.configs(), servers, state.draining()));
    }

    /**
     * Registers a server that asks for its server IDs: it gets, in every config, the lowest server ID (from 1) no
     * server has in a config of that length, in the same change, so two servers registering at once never get the
     * same one (in a fleet, the change is one compare-and-swap: of two registrations through different appliances
     * one wins, the other gets 409 and registers again). A server already registered under that name with that
     * address gets server IDs in the configs added since, or its entry as it is.
     *
     * @param server the server, without server IDs
     * @param change who asks, and how
     * @return what it did ({@code applied} false when it was registered already)
     * @throws ApiException 409 when the name is taken by a server with another address, or a config has no free
     *                      server ID; and as {@link #putServer(ServerEntry, String, Change)}
     */
    public synchronized ChangeResult registerServer(ServerEntry server, Change change) {
        ServerEntry existing = state.servers().stream().filter(s -> s.name().equals(server.name())).findFirst()
                .orElse(null);
        if (existing != null && !existing.address().equals(server.address())) {
            throw new ApiException(ApiException.CONFLICT, List.of("name: server " + server.name() + " is registered"
                    + " with address " + existing.address() + ": pick another name, or PUT the server to change it"));
        }
        Map<Integer, String> ids = ServerIds.registered(state, existing == null ? Map.of() : existing.serverIds());
        if (existing != null && ids.equals(existing.serverIds())) {
            return new ChangeResult(state, false, List.of()); // registered already, in every config
        }
        ServerEntry registered = existing != null ? existing.withServerIds(ids)
                : new ServerEntry(server.name(), server.address(), ids, server.threadSockets(), server.probe());
        return putServer(registered, "POST", change);
    }

    /**
     * Changes a server from its current entry, under the same lock as every change, so concurrent patches never
     * start from the same state and lose one another.
     *
     * @param name   a server's name
     * @param patch  makes the new entry from the current one (may throw {@link ApiException} 422)
     * @param change who asks, and how
     * @return what it did
     * @throws ApiException 404 when there is none, and as {@link #putServer(ServerEntry, String, Change)}
     */
    public synchronized ChangeResult patchServer(String name, UnaryOperator<ServerEntry> patch, Change change) {
        return putServer(patch.apply(requireServer(name)), "PATCH", change);
    }

    /**
     * Changes a configuration from its current entry, under the same lock as every change.
     *
     * @param configId the config ID
     * @param patch    makes the new entry from the current one (may throw {@link ApiException} 422)
     * @param change   who asks, and how
     * @return what it did
     * @throws ApiException 404 when there is none, and as {@link #putConfig(LbConfigEntry, String, Change)}
     */
    public synchronized ChangeResult patchConfig(int configId, UnaryOperator<LbConfigEntry> patch, Change change) {
        LbConfigEntry current = state.configs().stream().filter(c -> c.configId() == configId).findFirst()
                .orElseThrow(() -> new ApiException(ApiException.NOT_FOUND, List.of("configId: no config " + configId)));
        return putConfig(patch.apply(current), "PATCH", change);
    }

    /**
     * @param name   a server's name
     * @param change who asks, and how
     * @return what it did
     * @throws ApiException 404 when there is none, 409 when it still gets datagrams and it is not forced
     */
    public synchronized ChangeResult deleteServer(String name, Change change) {
        requireServer(name);
        Set<String> draining = new HashSet<>(state.draining());
        draining.remove(name);
        return commit(change, "DELETE servers/" + name, true, name, state.with(state.configs(),
                state.servers().stream().filter(s -> !s.name().equals(name)).toList(), draining));
    }

    /**
     * Stops or resumes new first flights to a server; datagrams whose CIDs name it still reach it.
     *
     * @param name     a server's name
     * @param draining true to drain, false to undrain
     * @param change   who asks, and how
     * @return what it did (nothing when the server already was in that state)
     * @throws ApiException 404 when there is none
     */
    public synchronized ChangeResult setDraining(String name, boolean draining, Change change) {
        requireServer(name);
        Set<String> names = new HashSet<>(state.draining());
        if (draining ? names.add(name) : names.remove(name)) {
            return commit(change, (draining ? "drain" : "undrain") + " servers/" + name, true, name,
                    state.with(state.configs(), state.servers(), names));
        }
        return new ChangeResult(state, false, List.of());
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

    private ServerEntry requireServer(String name) {
        return state.servers().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new ApiException(ApiException.NOT_FOUND, List.of("name: no server " + name)));
    }

    /**
     * Validates, judges, persists, publishes and audits; on any failure nothing changes. A dry run stops after
     * judging.
     */
    private ChangeResult commit(Change change, String action, boolean server, String name, RoutingState next) {
        if (frozen != null) {
            throw new ApiException(ApiException.UNAVAILABLE, List.of(frozen));
        }
        List<String> problems = RoutingConfigCheck.check(new QuicLbSettings(next.configs()), next.servers(), own.get())
                .stream().map(p -> p.inApi(server, name)).toList();
        if (!problems.isEmpty()) {
            throw new ApiException(ApiException.UNPROCESSABLE, problems);
        }
        List<String> breaks = guard.breaks(state, next);
        if (!breaks.isEmpty() && !change.force()) {
            List<String> errors = new ArrayList<>(breaks);
            errors.add("force: to apply it anyway, repeat the request with ?force=true");
            throw new ApiException(ApiException.CONFLICT, errors);
        }
        if (change.dryRun()) {
            return new ChangeResult(next, false, breaks);
        }
        long written;
        try {
            written = store.write(revision, next);
        } catch (IOException e) {
            LOG.error("{} could not be written; the change was not applied", store.describe(), e);
            throw new ApiException(ApiException.UNAVAILABLE, List.of(e.getMessage()));
        } catch (StaleRevisionException e) {
            throw new ApiException(ApiException.CONFLICT, List.of("revision: the fleet's state changed since this"
                    + " appliance read it (" + e.getMessage() + "); nothing changed: repeat the request once"
                    + " the appliance has applied it (GET /api/v1/stats shows the revision)"));
        }
        RoutingState before = state;
        down.retainAll(next.servers().stream().map(ServerEntry::name).toList());
        routing.publish(next, down, downSockets);
        state = next;
        revision = written;
        onChange.run();
        audit.record(change.actor(), action, Redacted.of(before, server, name), Redacted.of(next, server, name),
                breaks);
        if (!breaks.isEmpty()) {
            LOG.warn("forced change {} by {} breaks: {}", action, change.actor(), String.join("; ", breaks));
        }
        return new ChangeResult(next, true, breaks);
    }

    private static boolean sameHex(String a, String b) {
        try {
            return java.util.Arrays.equals(Hex.decode("serverId", a), Hex.decode("serverId", b));
        } catch (IllegalArgumentException e) {
            return false; // the general validation reports malformed server IDs
        }
    }
}
