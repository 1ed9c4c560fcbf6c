package io.quiclb.appliance.metrics;

import io.prometheus.metrics.model.registry.MetricType;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricFamilyDescriptor;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.quiclb.appliance.capacity.Capacity;
import io.quiclb.appliance.forward.Forwarder;
import io.quiclb.appliance.forward.ForwarderCounter;
import io.quiclb.appliance.forward.WorkerCounters;
import io.quiclb.codec.QuicLbConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The forwarder's counters and gauges for Prometheus, read when scraped: the data path is not involved (its workers
 * keep writing their plain per-worker counters with opaque stores, and this reads them with opaque loads).
 *
 * <p>Families (counters end in {@code _total} in the exposition; {@code worker} is "0", "1", ...):
 * <pre>
 * every {@link ForwarderCounter}, per worker, as {@link CounterFamilies} maps it:
 *   quiclb_forwarder_received_total{worker}
 *   quiclb_forwarder_routed_total{worker,via}          via: cid, thread, table, fallback
 *   quiclb_forwarder_dropped_total{worker,reason}      reason: too-short, flow-limit, ...
 *   quiclb_forwarder_lost_total{worker,reason}         reason: send-failed, reply-send-failed, receive-errors, ...
 *   quiclb_forwarder_unroutable_short_total{worker,reason}, quiclb_forwarder_flow_open_failed_total{worker,reason}
 *   quiclb_forwarder_replies_total{worker}, quiclb_forwarder_flows_opened_total{worker}, ...
 * quiclb_forwarder_routed_by_config_total{worker,config}   counter: datagrams routed by a CID of config 0..6
 * quiclb_forwarder_flows{worker,state}                     gauge: NAT flows now, state confirmed or unconfirmed
 * quiclb_forwarder_handshakes_in_progress                  gauge: flows opened by unroutable DCIDs, unconfirmed
 * quiclb_forwarder_upstream_sockets                        gauge: upstream sockets open now
 * quiclb_forwarder_decision_table_entries                  gauge: entries in the draft-21 4.2 tables now
 * quiclb_forwarder_capacity{limit}                         gauge: limit flows, handshakes, sockets, per-target
 * </pre>
 * Only per-worker series are exported; sum them in PromQL ({@code sum without (worker) (...)}). Before the forwarder
 * has started, the counter families have no series and the capacity has none.
 *
 * <p><b>Thread safety:</b> immutable; {@link #collect()} may run on several scrape threads at once.
 */
public final class ForwarderCollector implements MultiCollector {
    static final String ROUTED_BY_CONFIG = CounterFamilies.PREFIX + "routed_by_config";
    static final String FLOWS = CounterFamilies.PREFIX + "flows";
    static final String HANDSHAKES = CounterFamilies.PREFIX + "handshakes_in_progress";
    static final String UPSTREAM_SOCKETS = CounterFamilies.PREFIX + "upstream_sockets";
    static final String DECISION_ENTRIES = CounterFamilies.PREFIX + "decision_table_entries";
    static final String CAPACITY = CounterFamilies.PREFIX + "capacity";
    static final List<String> OWN = List.of(ROUTED_BY_CONFIG, FLOWS, HANDSHAKES, UPSTREAM_SOCKETS,
            DECISION_ENTRIES, CAPACITY);

    private final Forwarder forwarder;
    private final CounterFamilies families;

    /**
     * @param forwarder the forwarder; its workers exist once it has started
     * @throws IllegalStateException when {@link ForwarderCounter} has counters that would collide
     */
    public ForwarderCollector(Forwarder forwarder) {
        this.forwarder = forwarder;
        this.families = CounterFamilies.of(ForwarderCounter.values(), OWN);
    }

    /** @return every family's current values, read from the workers now */
    @Override
    public MetricSnapshots collect() {
        List<WorkerCounters> workers = forwarder.workerCounters();
        List<MetricSnapshot> snapshots = new ArrayList<>();
        for (CounterFamilies.Family family : families.families()) {
            CounterSnapshot.Builder builder = CounterSnapshot.builder().name(family.name()).help(family.help());
            for (int w = 0; w < workers.size(); w++) {
                for (CounterFamilies.Member member : family.members()) {
                    Labels labels = member.labelName() == null ? Labels.of("worker", Integer.toString(w))
                            : Labels.of("worker", Integer.toString(w), member.labelName(), member.labelValue());
                    builder.dataPoint(counter(labels, workers.get(w).get(member.counter())));
                }
            }
            snapshots.add(builder.build());
        }
        CounterSnapshot.Builder byConfig = CounterSnapshot.builder().name(ROUTED_BY_CONFIG)
                .help("Client datagrams routed by the server ID in a CID of QUIC-LB configuration {config}.");
        GaugeSnapshot.Builder flows = GaugeSnapshot.builder().name(FLOWS)
                .help("NAT flows open now: confirmed (the client sent after the server answered) or unconfirmed.");
        for (int w = 0; w < workers.size(); w++) {
            WorkerCounters counters = workers.get(w);
            String worker = Integer.toString(w);
            for (int config = 0; config <= QuicLbConfig.MAX_CONFIG_ID; config++) {
                byConfig.dataPoint(counter(Labels.of("worker", worker, "config", Integer.toString(config)),
                        counters.routedByConfig(config)));
            }
            flows.dataPoint(gauge(Labels.of("worker", worker, "state", "confirmed"),
                    counters.gauge(WorkerCounters.CONFIRMED_FLOWS)));
            flows.dataPoint(gauge(Labels.of("worker", worker, "state", "unconfirmed"),
                    counters.gauge(WorkerCounters.UNCONFIRMED_FLOWS)));
        }
        snapshots.add(byConfig.build());
        snapshots.add(flows.build());
        snapshots.add(single(HANDSHAKES, "Flows opened by unroutable DCIDs and not yet confirmed: the handshake "
                + "budget in use (forwarder.maxHandshakes).", forwarder.handshakes()));
        snapshots.add(single(UPSTREAM_SOCKETS, "Upstream sockets open now.", forwarder.upstreamSockets()));
        snapshots.add(single(DECISION_ENTRIES, "Entries in the draft-21 4.2 decision tables now.",
                forwarder.decisionEntries()));
        GaugeSnapshot.Builder capacity = GaugeSnapshot.builder().name(CAPACITY)
                .help("Limits in force: flows (the flow limit), handshakes (the handshake budget), sockets (the "
                        + "upstream socket budget), per-target (flows to one target at most).");
        Capacity limits = forwarder.capacity();
        if (limits != null) {
            capacity.dataPoint(gauge(Labels.of("limit", "flows"), limits.effectiveMaxFlows()));
            capacity.dataPoint(gauge(Labels.of("limit", "handshakes"), limits.maxHandshakes()));
            capacity.dataPoint(gauge(Labels.of("limit", "sockets"), limits.socketBudget()));
            capacity.dataPoint(gauge(Labels.of("limit", "per-target"), limits.perTarget()));
        }
        snapshots.add(capacity.build());
        return new MetricSnapshots(snapshots);
    }

    /** @return every family this collector exports: name (without {@code _total}), type and label names */
    @Override
    public List<MetricFamilyDescriptor> getMetricFamilyDescriptors() {
        List<MetricFamilyDescriptor> descriptors = new ArrayList<>();
        for (CounterFamilies.Family family : families.families()) {
            String label = family.members().getFirst().labelName();
            descriptors.add(label == null ? describe(MetricType.COUNTER, family.name(), "worker")
                    : describe(MetricType.COUNTER, family.name(), "worker", label));
        }
        descriptors.add(describe(MetricType.COUNTER, ROUTED_BY_CONFIG, "worker", "config"));
        descriptors.add(describe(MetricType.GAUGE, FLOWS, "worker", "state"));
        descriptors.add(describe(MetricType.GAUGE, HANDSHAKES));
        descriptors.add(describe(MetricType.GAUGE, UPSTREAM_SOCKETS));
        descriptors.add(describe(MetricType.GAUGE, DECISION_ENTRIES));
        descriptors.add(describe(MetricType.GAUGE, CAPACITY, "limit"));
        return descriptors;
    }

    static MetricFamilyDescriptor describe(MetricType type, String name, String... labelNames) {
        return MetricFamilyDescriptor.of(type, new MetricMetadata(name), List.of(labelNames));
    }

    static CounterDataPointSnapshot counter(Labels labels, long value) {
        return CounterDataPointSnapshot.builder().labels(labels).value(value).build();
    }

    static GaugeDataPointSnapshot gauge(Labels labels, long value) {
        return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
    }

    static GaugeSnapshot single(String name, String help, long value) {
        return GaugeSnapshot.builder().name(name).help(help).dataPoint(gauge(Labels.EMPTY, value)).build();
    }
}
