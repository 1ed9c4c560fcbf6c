package io.quiclb.appliance.metrics;

import io.prometheus.metrics.model.registry.MetricType;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricFamilyDescriptor;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.appliance.route.ServerHandle;
import java.util.List;
import java.util.Set;

/**
 * The servers and the routing for Prometheus, read when scraped from the route table in force, so servers added or
 * removed through the API appear and disappear with the next scrape:
 * <pre>
 * quiclb_server_forwarded_total{server}         counter: client datagrams forwarded to the server
 * quiclb_server_healthy{server}                 gauge 0/1: its address answers health probes (1 until probed)
 * quiclb_server_draining{server}                gauge 0/1: drained through the API
 * quiclb_server_takes_first_flights{server}     gauge 0/1: the fallback hash may send it new first flights now
 * quiclb_routing_panic                          gauge 0/1: too few servers answer probes, first flights go to all
 * </pre>
 * {@code server} is the server's name as configured, unchanged: names differing only in {@code -}, {@code _} or
 * {@code .} are distinct series. A server replaced with a different address starts its counter again at 0.
 *
 * <p><b>Thread safety:</b> immutable; {@link #collect()} may run on several scrape threads at once (the control
 * plane's lock is taken briefly for each server's health).
 */
public final class RoutingCollector implements MultiCollector {
    static final String FORWARDED = "quiclb_server_forwarded";
    static final String HEALTHY = "quiclb_server_healthy";
    static final String DRAINING = "quiclb_server_draining";
    static final String FIRST_FLIGHTS = "quiclb_server_takes_first_flights";
    static final String PANIC = "quiclb_routing_panic";

    private final RoutingService routing;
    private final ControlPlane control;

    /**
     * @param routing the routing service, for the route table in force
     * @param control the control plane, for health and draining
     */
    public RoutingCollector(RoutingService routing, ControlPlane control) {
        this.routing = routing;
        this.control = control;
    }

    /** @return the servers in force and the panic flag, read now */
    @Override
    public MetricSnapshots collect() {
        RouteTable table = routing.current();
        Set<String> draining = control.state().draining();
        CounterSnapshot.Builder forwarded = CounterSnapshot.builder().name(FORWARDED)
                .help("Client datagrams forwarded to the server.");
        GaugeSnapshot.Builder healthy = GaugeSnapshot.builder().name(HEALTHY)
                .help("1 when the server's address answers health probes (or has not been probed yet), else 0.");
        GaugeSnapshot.Builder drained = GaugeSnapshot.builder().name(DRAINING)
                .help("1 when the server is drained (no new first flights; its CIDs still reach it), else 0.");
        GaugeSnapshot.Builder firstFlights = GaugeSnapshot.builder().name(FIRST_FLIGHTS)
                .help("1 when the fallback hash may send the server new first flights now, else 0.");
        for (ServerHandle server : table.servers()) {
            Labels labels = Labels.of("server", server.name());
            forwarded.dataPoint(ForwarderCollector.counter(labels, server.forwarded().sum()));
            healthy.dataPoint(ForwarderCollector.gauge(labels, control.isHealthy(server.name()) ? 1 : 0));
            drained.dataPoint(ForwarderCollector.gauge(labels, draining.contains(server.name()) ? 1 : 0));
            firstFlights.dataPoint(ForwarderCollector.gauge(labels, table.takesNewFlows(server) ? 1 : 0));
        }
        return MetricSnapshots.of(forwarded.build(), healthy.build(), drained.build(), firstFlights.build(),
                ForwarderCollector.single(PANIC, "1 while too few servers answer health probes "
                        + "(health.panicThreshold) and first flights go to every server that is not draining.",
                        table.panic() ? 1 : 0));
    }

    /** @return every family this collector exports: name (without {@code _total}), type and label names */
    @Override
    public List<MetricFamilyDescriptor> getMetricFamilyDescriptors() {
        return List.of(ForwarderCollector.describe(MetricType.COUNTER, FORWARDED, "server"),
                ForwarderCollector.describe(MetricType.GAUGE, HEALTHY, "server"),
                ForwarderCollector.describe(MetricType.GAUGE, DRAINING, "server"),
                ForwarderCollector.describe(MetricType.GAUGE, FIRST_FLIGHTS, "server"),
                ForwarderCollector.describe(MetricType.GAUGE, PANIC));
    }
}
