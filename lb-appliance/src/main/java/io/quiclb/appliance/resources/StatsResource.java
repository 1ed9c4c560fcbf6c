package io.quiclb.appliance.resources;

import io.quiclb.appliance.api.StatsView;
import io.quiclb.appliance.capacity.Capacity;
import io.quiclb.appliance.forward.Forwarder;
import io.quiclb.appliance.forward.ForwarderCounter;
import io.quiclb.appliance.forward.WorkerCounters;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.appliance.route.ServerHandle;
import io.quiclb.codec.QuicLbConfig;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /api/v1/stats}: the forwarder's counters by reason, per config, per server and per worker.
 *
 * <p><b>Thread safety:</b> reads counters with opaque loads; safe from any thread.
 */
@Path("/api/v1/stats")
@Produces(MediaType.APPLICATION_JSON)
public final class StatsResource {
    private final Forwarder forwarder;
    private final RoutingService routing;
    private final java.util.function.LongSupplier revision;

    /**
     * @param forwarder the forwarder
     * @param routing   the routing service, for the servers in force
     * @param revision  the revision of the routing state in force ({@code ControlPlane::revision})
     */
    public StatsResource(Forwarder forwarder, RoutingService routing, java.util.function.LongSupplier revision) {
        this.forwarder = forwarder;
        this.routing = routing;
        this.revision = revision;
    }

    /** @return the counters */
    @GET
    public StatsView stats() {
        Map<String, Long> counters = new LinkedHashMap<>();
        for (ForwarderCounter counter : ForwarderCounter.values()) {
            counters.put(counter.metricName(), forwarder.total(counter));
        }
        Map<Integer, Long> perConfig = new TreeMap<>();
        for (int id = 0; id <= QuicLbConfig.MAX_CONFIG_ID; id++) {
            perConfig.put(id, forwarder.routedByConfig(id));
        }
        Map<String, Long> perServer = new TreeMap<>();
        for (ServerHandle server : routing.current().servers()) {
            perServer.put(server.name(), server.forwarded().sum());
        }
        List<Map<String, Long>> perWorker = new ArrayList<>();
        for (WorkerCounters worker : forwarder.workerCounters()) {
            Map<String, Long> values = new LinkedHashMap<>();
            for (ForwarderCounter counter : ForwarderCounter.values()) {
                values.put(counter.metricName(), worker.get(counter));
            }
            perWorker.add(values);
        }
        Map<String, Long> limits = new LinkedHashMap<>();
        Capacity capacity = forwarder.capacity();
        if (capacity != null) {
            limits.put("flows", capacity.effectiveMaxFlows());
            limits.put("handshakes", capacity.maxHandshakes());
            limits.put("sockets", capacity.socketBudget());
            limits.put("perTarget", capacity.perTarget());
        }
        return new StatsView(counters, perConfig, perServer, perWorker, forwarder.flows(),
                forwarder.totalGauge(WorkerCounters.UNCONFIRMED_FLOWS),
                forwarder.totalGauge(WorkerCounters.CONFIRMED_FLOWS), forwarder.handshakes(),
                forwarder.upstreamSockets(), limits, routing.current().panic(), revision.getAsLong());
    }
}
