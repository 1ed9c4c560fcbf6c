package io.quiclb.appliance.metrics;

import com.codahale.metrics.MetricRegistry;
import io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.forward.Forwarder;
import io.quiclb.appliance.route.RoutingService;

/**
 * {@code GET /admin/prometheus}: the Prometheus Java client's servlet over a registry of the appliance's own: the
 * forwarder ({@link ForwarderCollector}), the servers and routing ({@link RoutingCollector}), the JVM and process
 * (the client's {@link JvmMetrics}: {@code jvm_*}, {@code process_*}) and the rest of Dropwizard's registry ({@link
 * DropwizardBridge}). Everything is read when scraped. The servlet negotiates the format from the Accept header:
 * the Prometheus text format 0.0.4 by default, OpenMetrics text or Prometheus protobuf when asked; {@code
 * name[]=...} parameters select families.
 *
 * <p><b>Thread safety:</b> the servlet container may call it from several threads at once; the collectors are
 * immutable and read thread-safe state.
 */
public final class PrometheusServlet extends PrometheusMetricsServlet {
    private static final long serialVersionUID = 1L;

    /**
     * @param dropwizard Dropwizard's registry, for {@link DropwizardBridge}
     * @param forwarder  the forwarder
     * @param routing    the routing service
     * @param control    the control plane, for servers' health and draining
     */
    public PrometheusServlet(MetricRegistry dropwizard, Forwarder forwarder, RoutingService routing,
                             ControlPlane control) {
        super(registry(dropwizard, forwarder, routing, control));
    }

    /**
     * @param dropwizard Dropwizard's registry
     * @param forwarder  the forwarder
     * @param routing    the routing service
     * @param control    the control plane
     * @return a new registry holding everything {@code /admin/prometheus} exports
     */
    public static PrometheusRegistry registry(MetricRegistry dropwizard, Forwarder forwarder, RoutingService routing,
                                              ControlPlane control) {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new ForwarderCollector(forwarder));
        registry.register(new RoutingCollector(routing, control));
        JvmMetrics.builder().register(registry);
        registry.register(new DropwizardBridge(dropwizard));
        return registry;
    }
}
