package io.quiclb.appliance.health;

import com.codahale.metrics.health.HealthCheck;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.RoutingService;

/**
 * Healthy when the route table in force has something to route with: at least one QUIC-LB configuration, at least
 * one server, and at least one server that answers health probes, or too few answer and first flights go to every
 * server that is not draining (panic mode, {@code health.panicThreshold}): the appliance then still routes, so it
 * says so rather than fail the check, which would take it out of service on top of the servers.
 *
 * <p><b>Thread safety:</b> reads the current immutable route table.
 */
public final class RoutingHealthCheck extends HealthCheck {
    private final RoutingService routing;

    /**
     * @param routing the routing service
     */
    public RoutingHealthCheck(RoutingService routing) {
        this.routing = routing;
    }

    @Override
    protected Result check() {
        RouteTable table = routing.current();
        if (table.configCount() == 0) {
            return Result.unhealthy("no QUIC-LB config: every CID is unroutable");
        }
        if (table.servers().isEmpty()) {
            return Result.unhealthy("no server to route to");
        }
        if (table.healthyServers() == 0 && !table.panic()) {
            return Result.unhealthy("no server answers health probes");
        }
        return Result.healthy(table.configCount() + " config(s), " + table.healthyServers() + " of "
                + table.servers().size() + " server(s) healthy" + (table.panic()
                ? "; panic mode: first flights go to every server that is not draining" : ""));
    }
}
