package io.quiclb.appliance.forward;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.quiclb.appliance.capacity.Capacity;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.appliance.route.ServerHandle;
import io.quiclb.codec.QuicLbConfig;
import java.util.List;

/**
 * Exposes the forwarder's counters as Dropwizard gauges, summed over workers when read:
 * <pre>
 * quiclb.forwarder.{counter}                    every {@link ForwarderCounter}, e.g. quiclb.forwarder.dropped.too-short
 * quiclb.forwarder.worker.{w}.{counter}         the same per worker
 * quiclb.forwarder.config.{id}.routed           datagrams routed by CIDs of config {id}
 * quiclb.forwarder.server.{name}.forwarded      datagrams forwarded to server {name}
 * quiclb.forwarder.flows                        NAT flows open now
 * quiclb.forwarder.flows.unconfirmed            of those, unconfirmed (the client has not sent after an answer)
 * quiclb.forwarder.flows.confirmed              of those, confirmed
 * quiclb.forwarder.handshakes                   flows opened by unroutable DCIDs, not yet confirmed (the budget in use)
 * quiclb.forwarder.upstream-sockets             upstream sockets open now
 * quiclb.forwarder.decision-entries             entries in the draft-21 §4.2 tables
 * quiclb.forwarder.capacity.flows               the flow limit in force
 * quiclb.forwarder.capacity.handshakes          the handshake budget in force
 * quiclb.forwarder.capacity.sockets             the upstream socket budget
 * </pre>
 * These serve {@code /admin/metrics}; {@code /admin/prometheus} does not use them but reads the same counters itself,
 * with labels ({@code io.quiclb.appliance.metrics.ForwarderCollector}).
 *
 * <p><b>Thread safety:</b> the gauges read counters with opaque loads from any thread.
 */
public final class ForwarderMetrics {
    private static final String PREFIX = "quiclb.forwarder.";

    private ForwarderMetrics() {
    }

    /**
     * @param registry  where the gauges go
     * @param forwarder the forwarder (its workers exist once it has started; until then gauges read 0)
     * @param routing   the routing service, for per-server gauges
     * @param workers   the configured number of workers
     */
    public static void register(MetricRegistry registry, Forwarder forwarder, RoutingService routing, int workers) {
        for (ForwarderCounter counter : ForwarderCounter.values()) {
            registry.register(PREFIX + counter.metricName(), (Gauge<Long>) () -> forwarder.total(counter));
            for (int w = 0; w < workers; w++) {
                final int worker = w;
                registry.register(PREFIX + "worker." + w + "." + counter.metricName(), (Gauge<Long>) () -> {
                    List<WorkerCounters> counters = forwarder.workerCounters();
                    return worker < counters.size() ? counters.get(worker).get(counter) : 0L;
                });
            }
        }
        for (int configId = 0; configId <= QuicLbConfig.MAX_CONFIG_ID; configId++) {
            final int id = configId;
            registry.register(PREFIX + "config." + configId + ".routed", (Gauge<Long>) () -> forwarder.routedByConfig(id));
        }
        syncServers(registry, routing);
        registry.register(PREFIX + "flows", (Gauge<Long>) forwarder::flows);
        registry.register(PREFIX + "flows.unconfirmed",
                (Gauge<Long>) () -> forwarder.totalGauge(WorkerCounters.UNCONFIRMED_FLOWS));
        registry.register(PREFIX + "flows.confirmed",
                (Gauge<Long>) () -> forwarder.totalGauge(WorkerCounters.CONFIRMED_FLOWS));
        registry.register(PREFIX + "handshakes", (Gauge<Long>) forwarder::handshakes);
        registry.register(PREFIX + "upstream-sockets", (Gauge<Long>) forwarder::upstreamSockets);
        registry.register(PREFIX + "decision-entries", (Gauge<Long>) forwarder::decisionEntries);
        registry.register(PREFIX + "capacity.flows", (Gauge<Long>) () -> capacity(forwarder, Capacity::effectiveMaxFlows));
        registry.register(PREFIX + "capacity.handshakes", (Gauge<Long>) () -> capacity(forwarder, Capacity::maxHandshakes));
        registry.register(PREFIX + "capacity.sockets", (Gauge<Long>) () -> capacity(forwarder, Capacity::socketBudget));
    }

    /**
     * Makes the per-server gauges match the servers in force: adds gauges for new servers and removes those of
     * deleted ones. Called after every published change.
     *
     * @param registry where the gauges are
     * @param routing  the routing service
     */
    public static synchronized void syncServers(MetricRegistry registry, RoutingService routing) {
        java.util.Set<String> wanted = new java.util.HashSet<>();
        for (ServerHandle server : routing.current().servers()) {
            String name = PREFIX + "server." + server.name() + ".forwarded";
            wanted.add(name);
            if (!registry.getGauges().containsKey(name)) {
                String serverName = server.name();
                registry.register(name, (Gauge<Long>) () -> routing.current().forwardedTo(serverName));
            }
        }
        registry.removeMatching((name, metric) -> name.startsWith(PREFIX + "server.") && !wanted.contains(name));
    }

    private static long capacity(Forwarder forwarder, java.util.function.ToLongFunction<Capacity> value) {
        Capacity capacity = forwarder.capacity();
        return capacity == null ? 0 : value.applyAsLong(capacity);
    }

}
