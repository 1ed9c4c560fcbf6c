package io.quiclb.appliance.forward;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
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
 * </pre>
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
        for (ServerHandle server : routing.current().servers()) {
            registry.register(PREFIX + "server." + server.name() + ".forwarded",
                    (Gauge<Long>) () -> server.forwarded().sum());
        }
        registry.register(PREFIX + "flows", (Gauge<Long>) forwarder::flows);
    }
}
