package io.quiclb.appliance.store;

import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.control.EncoderState;
import io.quiclb.appliance.control.RoutingState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What servers may be given in a fleet (draft-21 §3.1: a new config reaches every load balancer before servers use
 * it): the configs and server IDs of the state in force that the state at the lowest revision any live appliance
 * applied ({@link FleetMembership}) holds alike. While an appliance lags, a config added or re-keyed since is
 * withheld, and so is a server ID given since, and every server ID of a server whose address or thread sockets
 * changed since (a lagging appliance would send its new CIDs to the old sockets); a config deleted since is no longer
 * offered at all. Only the two ends are compared: a config deleted and re-added alike in between (forced, or
 * {@code quicLb.configIdReuseGrace} 0) is offered though an appliance may hold a revision without it.
 *
 * <p><b>Thread safety:</b> thread-safe: it reads etcd and the synchronized control plane.
 */
public final class FleetOffers implements EncoderState {
    private final EtcdStateStore store;
    private final FleetMembership membership;
    private final ControlPlane control;

    /**
     * @param store      the fleet store
     * @param membership the live appliances
     * @param control    this appliance's control plane
     */
    public FleetOffers(EtcdStateStore store, FleetMembership membership, ControlPlane control) {
        this.store = store;
        this.membership = membership;
        this.control = control;
    }

    @Override
    public RoutingState offered() throws IOException {
        RoutingState now;
        long current;
        synchronized (control) {
            now = control.state();
            current = control.revision();
        }
        long everywhere = current;
        for (FleetMembership.Member member : membership.members()) {
            everywhere = Math.min(everywhere, member.appliedRevision());
        }
        if (everywhere >= current) {
            return now;
        }
        if (everywhere <= 0) {
            return NOTHING; // an entry without a revision applied: nothing is known to route everywhere
        }
        try {
            return common(now, store.stateAt(everywhere).orElse(NOTHING));
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static final RoutingState NOTHING = new RoutingState(List.of(), List.of(), Set.of());

    /**
     * @return the configs of {@code now} that {@code applied} holds alike, and each server of {@code now} with only
     *         the server IDs {@code applied} gives it too in those configs
     */
    static RoutingState common(RoutingState now, RoutingState applied) {
        Map<Integer, LbConfigEntry> before = new LinkedHashMap<>();
        applied.configs().forEach(config -> before.put(config.configId(), config));
        List<LbConfigEntry> configs = new ArrayList<>();
        for (LbConfigEntry config : now.configs()) {
            if (config.equals(before.get(config.configId()))) {
                configs.add(config);
            }
        }
        List<ServerEntry> servers = new ArrayList<>();
        for (ServerEntry server : now.servers()) {
            ServerEntry old = applied.servers().stream().filter(s -> s.name().equals(server.name())).findFirst()
                    .orElse(null);
            Map<Integer, String> ids = new LinkedHashMap<>();
            boolean moved = old == null || !old.address().equals(server.address())
                    || !old.threadSockets().equals(server.threadSockets());
            for (LbConfigEntry config : moved ? List.<LbConfigEntry>of() : configs) {
                String id = server.serverIds().get(config.configId());
                String oldId = old == null ? null : old.serverIds().get(config.configId());
                if (id != null && oldId != null && id.toLowerCase(Locale.ROOT).equals(oldId.toLowerCase(Locale.ROOT))) {
                    ids.put(config.configId(), id);
                }
            }
            servers.add(new ServerEntry(server.name(), server.address(), ids, server.threadSockets(), server.probe()));
        }
        return new RoutingState(configs, servers, now.draining());
    }
}
