package io.quiclb.appliance.control;

import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ServerEntry;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything an operator can change: the QUIC-LB configurations, the servers, and which servers are draining.
 * The appliance persists it ({@link StateStore}) and builds route tables from it.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param configs  QUIC-LB configurations, at most one per config ID
 * @param servers  servers, unique by name
 * @param draining names of servers that take no new first flights
 * @param retired  config IDs deleted lately, with when (milliseconds since the epoch): not reused until
 *                 {@code quicLb.configIdReuseGrace} has passed (draft-21 §3.1)
 */
public record RoutingState(List<LbConfigEntry> configs, List<ServerEntry> servers, Set<String> draining,
                           Map<Integer, Long> retired) {

    /** Copies the collections. */
    public RoutingState {
        configs = List.copyOf(configs);
        servers = List.copyOf(servers);
        draining = Set.copyOf(draining);
        retired = Map.copyOf(retired);
    }

    /** A state with no config ID held back. */
    public RoutingState(List<LbConfigEntry> configs, List<ServerEntry> servers, Set<String> draining) {
        this(configs, servers, draining, Map.of());
    }

    /** @return this state with other configs, servers and draining servers, and the same config IDs held back */
    public RoutingState with(List<LbConfigEntry> configs, List<ServerEntry> servers, Set<String> draining) {
        return new RoutingState(configs, servers, draining, retired);
    }
}
