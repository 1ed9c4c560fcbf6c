package io.quiclb.appliance.metrics;

import com.codahale.metrics.Counting;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Map;

/**
 * {@code GET /admin/prometheus}: every numeric Dropwizard metric in the Prometheus text exposition format (0.0.4).
 * Gauges become gauges; counters, meters, timers and histograms become counters of their count. Names are the
 * Dropwizard names with every character outside {@code [a-zA-Z0-9_:]} replaced by {@code _}, e.g.
 * {@code quiclb.forwarder.dropped.too-short} → {@code quiclb_forwarder_dropped_too_short}.
 *
 * <p><b>Thread safety:</b> stateless; reads the thread-safe registry.
 */
public final class PrometheusServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient MetricRegistry registry;

    /**
     * @param registry the metrics to expose
     */
    public PrometheusServlet(MetricRegistry registry) {
        this.registry = registry;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/plain; version=0.0.4; charset=utf-8");
        response.setHeader("Cache-Control", "must-revalidate,no-cache,no-store");
        try (PrintWriter out = response.getWriter()) {
            for (Map.Entry<String, Metric> entry : registry.getMetrics().entrySet()) {
                String name = name(entry.getKey());
                Metric metric = entry.getValue();
                if (metric instanceof Gauge<?> gauge) {
                    Object value = gauge.getValue();
                    if (value instanceof Number number) {
                        write(out, name, "gauge", number.doubleValue());
                    } else if (value instanceof Boolean flag) {
                        write(out, name, "gauge", flag ? 1 : 0);
                    }
                } else if (metric instanceof Counting counting) {
                    write(out, name + "_total", "counter", counting.getCount());
                }
            }
        }
    }

    /** @return the Prometheus form of a Dropwizard metric name */
    static String name(String dropwizardName) {
        StringBuilder name = new StringBuilder(dropwizardName.length());
        for (int i = 0; i < dropwizardName.length(); i++) {
            char c = dropwizardName.charAt(i);
            boolean allowed = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':'
                    || c >= '0' && c <= '9' && i > 0;
            name.append(allowed ? c : '_');
        }
        return name.toString();
    }

    private static void write(PrintWriter out, String name, String type, double value) {
        out.print("# TYPE ");
        out.print(name);
        out.print(' ');
        out.println(type);
        out.print(name);
        out.print(' ');
        out.println(value == Math.rint(value) && !Double.isInfinite(value) ? Long.toString((long) value)
                : Double.toString(value));
    }
}
