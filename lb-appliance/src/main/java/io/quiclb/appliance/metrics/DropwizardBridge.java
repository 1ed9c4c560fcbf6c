package io.quiclb.appliance.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The rest of Dropwizard's {@link MetricRegistry} for Prometheus: Jetty's, Jersey's, Logback's and anything else
 * registered there, except the appliance's own {@code quiclb.*} metrics (exported with labels by {@link
 * ForwarderCollector} and {@link RoutingCollector}) and Dropwizard's {@code jvm.*} ones (the Prometheus client's JVM
 * instrumentation exports the JVM). Read when scraped. Each metric is a family of its own, named by its Dropwizard name
 * with every character outside {@code [a-zA-Z0-9_:]} made {@code _}; its HELP names the original:
 * <pre>
 * Gauge (number or boolean)  gauge
 * Counter                    gauge (Dropwizard counters go down as well as up, e.g. active requests)
 * Meter                      counter {name}_total
 * Timer                      summary {name}_seconds: quantiles 0.5 .. 0.999 of the recent window, and _count
 * Histogram                  summary {name}: quantiles of the recent window, and _count
 * </pre>
 * A metric whose exposed names would repeat an earlier one's (in name order), or start with {@code jvm_},
 * {@code process_} or {@code quiclb_}, is left out, and so is a gauge that throws when read.
 *
 * <p><b>Thread safety:</b> immutable; reads the thread-safe registry; {@link #collect()} may run concurrently.
 */
public final class DropwizardBridge implements MultiCollector {
    private static final double[] QUANTILES = {0.5, 0.75, 0.95, 0.98, 0.99, 0.999};
    private static final List<String> EXCLUDED = List.of("quiclb.", "jvm.");
    private static final List<String> RESERVED = List.of("quiclb_", "jvm_", "process_");

    private final MetricRegistry registry;

    /**
     * @param registry Dropwizard's registry
     */
    public DropwizardBridge(MetricRegistry registry) {
        this.registry = registry;
    }

    /** @return every exported metric of the registry, read now */
    @Override
    public MetricSnapshots collect() {
        Map<String, Metric> metrics = new TreeMap<>(registry.getMetrics());
        Set<String> taken = new HashSet<>();
        List<MetricSnapshot> snapshots = new ArrayList<>();
        for (Map.Entry<String, Metric> entry : metrics.entrySet()) {
            String original = entry.getKey();
            if (EXCLUDED.stream().anyMatch(original::startsWith)) {
                continue;
            }
            MetricSnapshot snapshot;
            try {
                snapshot = snapshot(name(original), "Dropwizard metric " + original, entry.getValue());
            } catch (RuntimeException e) {
                continue; // a gauge that cannot be read now must not fail the whole scrape
            }
            if (snapshot != null && claim(taken, snapshot)) {
                snapshots.add(snapshot);
            }
        }
        return new MetricSnapshots(snapshots);
    }

    /** @return the snapshot of one metric, or null when it has no numeric value */
    private static MetricSnapshot snapshot(String name, String help, Metric metric) {
        if (metric instanceof Gauge<?> gauge) {
            Object value = gauge.getValue();
            double number;
            if (value instanceof Number n) {
                number = n.doubleValue();
            } else if (value instanceof Boolean flag) {
                number = flag ? 1 : 0;
            } else {
                return null;
            }
            return gauge(name, help, number);
        } else if (metric instanceof Counter counter) {
            return gauge(name, help, counter.getCount());
        } else if (metric instanceof Meter meter) {
            return CounterSnapshot.builder().name(name).help(help)
                    .dataPoint(CounterDataPointSnapshot.builder().value(meter.getCount()).build()).build();
        } else if (metric instanceof Timer timer) {
            return summary(name + "_seconds", help, Unit.SECONDS, timer.getCount(), timer.getSnapshot(), 1e-9);
        } else if (metric instanceof Histogram histogram) {
            return summary(name, help, null, histogram.getCount(), histogram.getSnapshot(), 1);
        }
        return null;
    }

    private static GaugeSnapshot gauge(String name, String help, double value) {
        return GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeDataPointSnapshot.builder().value(value).build()).build();
    }

    private static SummarySnapshot summary(String name, String help, Unit unit, long count, Snapshot window,
                                           double scale) {
        Quantiles.Builder quantiles = Quantiles.builder();
        for (double q : QUANTILES) {
            quantiles.quantile(new Quantile(q, window.getValue(q) * scale));
        }
        SummarySnapshot.Builder builder = SummarySnapshot.builder().name(name).help(help);
        if (unit != null) {
            builder.unit(unit);
        }
        return builder.dataPoint(SummaryDataPointSnapshot.builder().count(count).quantiles(quantiles.build())
                .build()).build();
    }

    /** @return whether none of the snapshot's exposed names was taken; if so, they are now */
    private static boolean claim(Set<String> taken, MetricSnapshot snapshot) {
        String name = snapshot.getMetadata().getPrometheusName();
        List<String> exposed = switch (snapshot) {
            case CounterSnapshot c -> List.of(name, name + "_total");
            case SummarySnapshot s -> List.of(name, name + "_count", name + "_sum");
            default -> List.of(name);
        };
        if (RESERVED.stream().anyMatch(name::startsWith) || exposed.stream().anyMatch(taken::contains)) {
            return false;
        }
        taken.addAll(exposed);
        return true;
    }

    /** @return a Dropwizard name as a Prometheus metric name: {@code a.b-c} → {@code a_b_c} */
    static String name(String dropwizardName) {
        StringBuilder name = new StringBuilder(dropwizardName.length() + 1);
        for (int i = 0; i < dropwizardName.length(); i++) {
            char c = dropwizardName.charAt(i);
            boolean allowed = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':'
                    || c >= '0' && c <= '9';
            name.append(allowed ? c : '_');
        }
        if (name.isEmpty() || Character.isDigit(name.charAt(0))) {
            name.insert(0, '_');
        }
        return name.toString();
    }
}
