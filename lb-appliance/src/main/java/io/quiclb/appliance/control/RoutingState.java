package io.quiclb.appliance.control;

import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ServerEntry;
import java.util.List;
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
 */
public record RoutingState(List<LbConfigEntry> configs, List<ServerEntry> servers, Set<String> draining) {

    /** Copies the collections. */
    public RoutingState {
        configs = List.copyOf(configs);
        servers = List.copyOf(servers);
        draining = Set.copyOf(draining);
    }
}
