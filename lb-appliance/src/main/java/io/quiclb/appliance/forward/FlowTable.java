package io.quiclb.appliance.forward;

import io.quiclb.appliance.decision.DecisionTables;
import io.quiclb.appliance.guard.HandshakeBudget;
import io.quiclb.appliance.route.Placement;
import io.quiclb.appliance.table.AddressKeyTable;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A worker's NAT flows and their life, like a connection tracker's: found by the client's 4-tuple and target (client
 * datagrams) or by upstream port and sender (replies); <em>unconfirmed</em> until the client sends again after the
 * target answered, and kept in a list, oldest client activity first, from which they expire after
 * {@code forwarder.unconfirmedFlowIdleTimeout} and are evicted when room is needed; confirmed ones expire after
 * {@code forwarder.flowIdleTimeout} without a datagram either way. Closing a flow gives back everything it holds: its
 * place on its upstream port, its share of the flow limit, its handshake budget unit and, closed unconfirmed, the
 * §4.2 entries its first flight recorded.
 *
 * <p><b>Thread safety:</b> not thread-safe; used only on its worker's event loop. The flow limits it gives back to are
 * shared ({@link FlowLimits}).
 */
final class FlowTable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FlowTable.class);
    /** Unconfirmed flows looked at, oldest first, for one to evict. */
    static final int EVICTION_SCAN = 64;
    private static final byte[] NO_ID = new byte[0];

    private final int worker;
    private final IntervalLog pacing = new IntervalLog(1);
    private final AddressKeyTable<Flow> byClient;
    private final AddressKeyTable<Flow> byPort;
    private final UpstreamPorts ports;
    private final DecisionTables decisions;
    private final FlowLimits limits;
    private final WorkerCounters counters;
    private final byte[] prefixScratch = new byte[16];
    private Flow oldestUnconfirmed;
    private Flow newestUnconfirmed;
    private int unconfirmed;
    private int confirmed;
    private ForwarderCounter refusal;

    /**
     * @param worker     the worker's index, for the log
     * @param maxEntries flows held at most
     * @param ports      the worker's upstream ports, to give places back to
     * @param decisions  the shared §4.2 tables, to forget unconfirmed first flights in
     * @param limits     the shared flow limits, to give shares back to
     * @param counters   the worker's counters
     */
    FlowTable(int worker, int maxEntries, UpstreamPorts ports, DecisionTables decisions, FlowLimits limits,
              WorkerCounters counters) {
        this.worker = worker;
        this.byClient = new AddressKeyTable<>(maxEntries);
        this.byPort = new AddressKeyTable<>(maxEntries);
        this.ports = ports;
        this.decisions = decisions;
        this.limits = limits;
        this.counters = counters;
    }

    /** @return the flow of this client, local address and target, or null */
    Flow get(InetSocketAddress client, int local, InetSocketAddress target, long now) {
        return byClient.get(client, local, target, NO_ID, 0, 0, now);
    }

    /** @return the flow on this upstream port whose target is {@code sender}, or null */
    Flow byReply(UpstreamPort port, InetSocketAddress sender, long now) {
        return byPort.get(null, port.index, sender, NO_ID, 0, 0, now);
    }

    /**
     * Opens a flow for a client's datagram, if it may be: a flow for an unroutable DCID needs a unit of the handshake
     * budget (or an answered, never confirmed first flight to evict); every flow a share of the flow limit (or an
     * unconfirmed flow to evict) and a place on an upstream port for its target (or an unconfirmed flow to that target
     * to evict). A failure to open a port is counted by cause and logged at most once per interval.
     *
     * @param unroutable whether the datagram's DCID was unroutable (a first flight, or what looks like one)
     * @return the new flow, unconfirmed; or null, with {@link #refusal()} saying why, having taken nothing
     */
    Flow open(InetSocketAddress client, int local, Placement placement, boolean unroutable, long now) {
        if (unroutable) {
            int budget = limits.handshakes.tryAcquire(client, prefixScratch);
            // Only a spent budget is worth an eviction: a prefix at its share would evict other networks' first
            // flights and still not get a unit.
            if (budget == HandshakeBudget.BUDGET_SPENT && evictOldestAnsweredHandshake()) {
                budget = limits.handshakes.tryAcquire(client, prefixScratch);
            }
            if (budget != HandshakeBudget.ACQUIRED) {
                return refuse(client, false, ForwarderCounter.DROPPED_INITIAL_BUDGET);
            }
        }
        if (!limits.tryReserveFlow() && !(evictOldestUnconfirmed() && limits.tryReserveFlow())) {
            return refuse(client, unroutable, ForwarderCounter.DROPPED_FLOW_LIMIT);
        }
        final InetSocketAddress target = placement.target();
        UpstreamPort port = ports.acquire(target, now);
        if (port == null && ports.failure() != ForwarderCounter.FLOW_OPEN_FAILED_ERROR
                && evictOldestUnconfirmedTo(target)) {
            port = ports.acquire(target, now); // the evicted flow's place on its port
        }
        if (port == null) {
            limits.releaseFlow();
            portFailed(now);
            return refuse(client, unroutable, ForwarderCounter.DROPPED_FLOW_OPEN_FAILED);
        }
        Flow flow = new Flow(client, local, placement, port, now);
        flow.budgeted = unroutable;
        flow.gso = !ports.gsoRefused(target);
        if (!add(flow, now)) {
            ports.release(port, target);
            limits.releaseFlow();
            return refuse(client, unroutable, ForwarderCounter.DROPPED_FLOW_LIMIT);
        }
        return flow;
    }

    /** @return why the last {@link #open} refused: a {@code DROPPED_*} outcome */
    ForwarderCounter refusal() {
        return refusal;
    }

    private Flow refuse(InetSocketAddress client, boolean budgeted, ForwarderCounter reason) {
        if (budgeted) {
            limits.handshakes.release(client, prefixScratch);
        }
        refusal = reason;
        return null;
    }

    private void portFailed(long now) {
        ForwarderCounter cause = ports.failure();
        counters.increment(cause);
        long times = pacing.due(0, now);
        if (times > 0) {
            Throwable error = ports.failureCause();
            LOG.warn("forwarder worker {}: {} new flow(s) dropped: no upstream port could be opened (latest: {}{});"
                    + " see flow-open-failed.* in the metrics and \"Capacity planning\" in docs/operations.md",
                    worker, times, cause.metricName(), error == null ? "" : ", " + error.getMessage());
        }
    }

    /**
     * Adds a new, unconfirmed flow.
     *
     * @return false, adding nothing, when the table is full
     */
    private boolean add(Flow flow, long now) {
        if (!byClient.put(flow.client, flow.local, flow.target, NO_ID, 0, 0, flow, now)) {
            return false;
        }
        byPort.put(null, flow.port.index, flow.target, NO_ID, 0, 0, flow, now);
        linkNewest(flow);
        unconfirmed++;
        counters.setGauge(WorkerCounters.UNCONFIRMED_FLOWS, unconfirmed);
        counters.increment(ForwarderCounter.FLOWS_OPENED);
        return true;
    }

    /** A client datagram on a flow: it keeps the flow alive, and confirms it once the target answered. */
    void onClientDatagram(Flow flow, long now) {
        flow.lastClient = now;
        flow.lastActivity = now;
        if (flow.state == Flow.CONFIRMED) {
            return;
        }
        if (flow.state == Flow.ANSWERED) {
            unlink(flow);
            flow.state = Flow.CONFIRMED;
            flow.firstFlightIds = null;
            releaseHandshake(flow);
            unconfirmed--;
            confirmed++;
            counters.setGauge(WorkerCounters.UNCONFIRMED_FLOWS, unconfirmed);
            counters.setGauge(WorkerCounters.CONFIRMED_FLOWS, confirmed);
            counters.increment(ForwarderCounter.FLOWS_CONFIRMED);
        } else if (flow != newestUnconfirmed) {
            unlink(flow);
            linkNewest(flow);
        }
    }

    /** A reply on a flow: an unconfirmed flow is answered now; only a confirmed one counts it as activity. */
    void onReply(Flow flow, long now) {
        flow.lastActivity = now;
        if (flow.state == Flow.UNCONFIRMED) {
            flow.state = Flow.ANSWERED;
        }
    }

    /**
     * Makes room for a new flow when the flow limit is reached: closes this worker's oldest unconfirmed flow.
     *
     * @return whether a flow was closed
     */
    private boolean evictOldestUnconfirmed() {
        if (oldestUnconfirmed == null) {
            return false;
        }
        close(oldestUnconfirmed, ForwarderCounter.FLOWS_EVICTED);
        return true;
    }

    /**
     * Makes room for a new first flight when the handshake budget is spent: closes the oldest first flight the
     * server answered but the client has not confirmed, what a spoofed source leaves (a real client confirms within a
     * round trip). Only the {@value #EVICTION_SCAN} oldest unconfirmed flows are looked at, so a flood against silent
     * servers (nothing answered) costs little: its first flights are dropped.
     *
     * @return whether a flow was closed
     */
    private boolean evictOldestAnsweredHandshake() {
        Flow flow = oldestUnconfirmed;
        for (int scanned = 0; flow != null && scanned < EVICTION_SCAN; scanned++, flow = flow.newer) {
            if (flow.state == Flow.ANSWERED && flow.budgeted) {
                close(flow, ForwarderCounter.FLOWS_EVICTED);
                return true;
            }
        }
        return false;
    }

    /**
     * Makes room for a new flow to {@code target} when no socket or port is left for it: closes the oldest
     * unconfirmed flow to that target (among the {@value #EVICTION_SCAN} oldest unconfirmed flows), whose place on its
     * port the new flow can take.
     *
     * @return whether a flow was closed
     */
    private boolean evictOldestUnconfirmedTo(InetSocketAddress target) {
        Flow flow = oldestUnconfirmed;
        for (int scanned = 0; flow != null && scanned < EVICTION_SCAN; scanned++, flow = flow.newer) {
            if (flow.target.equals(target)) {
                close(flow, ForwarderCounter.FLOWS_EVICTED);
                return true;
            }
        }
        return false;
    }

    /** Closes unconfirmed flows without a client datagram since {@code idleBefore}: the list is ordered by that. */
    void expireUnconfirmed(long idleBefore) {
        while (oldestUnconfirmed != null && oldestUnconfirmed.lastClient - idleBefore < 0) {
            close(oldestUnconfirmed, ForwarderCounter.FLOWS_EXPIRED_UNCONFIRMED);
        }
    }

    /** Closes confirmed flows without a datagram either way since {@code idleBefore}: a pass over the table. */
    void expireConfirmed(long idleBefore) {
        byClient.removeIf(flow -> flow.state == Flow.CONFIRMED && flow.lastActivity - idleBefore < 0,
                flow -> release(flow, ForwarderCounter.FLOWS_EXPIRED));
    }

    /**
     * Describes every flow for a takeover.
     *
     * @param locals the local address numbering
     * @param now    monotonic nanoseconds
     * @return the flows, unconfirmed ones oldest client activity first, then the confirmed
     */
    List<NatFlows.FlowEntry> export(LocalAddresses locals, long now) {
        List<NatFlows.FlowEntry> entries = new ArrayList<>();
        for (Flow flow = oldestUnconfirmed; flow != null; flow = flow.newer) {
            entries.add(entry(flow, locals, now));
        }
        byClient.forEach(flow -> {
            if (flow.state == Flow.CONFIRMED) {
                entries.add(entry(flow, locals, now));
            }
        });
        return entries;
    }

    private static NatFlows.FlowEntry entry(Flow flow, LocalAddresses locals, long now) {
        return new NatFlows.FlowEntry(flow.client, locals.address(flow.local), flow.placement.server().name(),
                flow.target, flow.port.index, flow.state, flow.budgeted,
                TimeUnit.NANOSECONDS.toMillis(now - flow.lastClient),
                TimeUnit.NANOSECONDS.toMillis(now - flow.lastActivity));
    }

    /**
     * Adopts a flow the appliance taken over handed over, in its state, on its adopted port. Unconfirmed flows come
     * oldest first ({@link #export}), so the eviction order holds. A budgeted unconfirmed flow takes a unit of the
     * handshake budget again if one is left, else goes on without one.
     *
     * @param lastClient   monotonic nanoseconds of the client's last datagram
     * @param lastActivity monotonic nanoseconds of the last datagram either way
     * @return the flow; or null, taking nothing, when the flow limit or the table has no room, the table holds a
     *         flow of that client, local address and target already, or a flow to the same target already holds the
     *         place on that port
     */
    Flow adopt(InetSocketAddress client, int local, Placement placement, UpstreamPort port, byte state,
                  boolean budgeted, long lastClient, long lastActivity) {
        if (byClient.get(client, local, placement.target(), NO_ID, 0, 0, lastActivity) != null
                || !limits.tryReserveFlow()) {
            return null; // a flow of that client, local address and target is here already: not twice
        }
        if (!ports.take(port, placement.target())) {
            limits.releaseFlow();
            return null;
        }
        Flow flow = new Flow(client, local, placement, port, lastClient);
        flow.lastActivity = lastActivity;
        flow.state = state;
        flow.gso = !ports.gsoRefused(placement.target());
        if (!byClient.put(flow.client, flow.local, flow.target, NO_ID, 0, 0, flow, lastActivity)) {
            ports.release(port, flow.target);
            limits.releaseFlow();
            return null;
        }
        byPort.put(null, flow.port.index, flow.target, NO_ID, 0, 0, flow, lastActivity);
        if (state == Flow.CONFIRMED) {
            confirmed++;
            counters.setGauge(WorkerCounters.CONFIRMED_FLOWS, confirmed);
        } else {
            flow.budgeted = budgeted
                    && limits.handshakes.tryAcquire(client, prefixScratch) == HandshakeBudget.ACQUIRED;
            linkNewest(flow);
            unconfirmed++;
            counters.setGauge(WorkerCounters.UNCONFIRMED_FLOWS, unconfirmed);
        }
        return flow;
    }

    /** Hands every flow to {@code visitor}. */
    void forEach(Consumer<Flow> visitor) {
        byClient.forEach(visitor);
    }

    /** Closes every flow; for shutdown. */
    void closeAll() {
        byClient.removeIf(flow -> true, flow -> release(flow, ForwarderCounter.FLOWS_EXPIRED));
    }

    /** Closes a flow, counting why. */
    void close(Flow flow, ForwarderCounter why) {
        if (!flow.closed) {
            byClient.removeValue(flow.client, flow.local, flow.target, NO_ID, 0, 0, flow);
            release(flow, why);
        }
    }

    /** Everything of closing a flow but removing it from {@code byClient} (the caller did, or sweeps it). */
    private void release(Flow flow, ForwarderCounter why) {
        if (flow.closed) {
            return;
        }
        flow.closed = true;
        byPort.removeValue(null, flow.port.index, flow.target, NO_ID, 0, 0, flow);
        if (flow.state == Flow.CONFIRMED) {
            confirmed--;
            counters.setGauge(WorkerCounters.CONFIRMED_FLOWS, confirmed);
        } else {
            unlink(flow);
            unconfirmed--;
            counters.setGauge(WorkerCounters.UNCONFIRMED_FLOWS, unconfirmed);
        }
        if (flow.firstFlightIds != null) {
            // An unconfirmed first flight, most often from a spoofed source: its §4.2 entries would otherwise hold
            // table room for forwarder.flowIdleTimeout.
            decisions.forget(flow.client, flow.local, flow.firstFlightIds, flow.placement, flow.lastClient);
            flow.firstFlightIds = null;
        }
        releaseHandshake(flow);
        ports.release(flow.port, flow.target);
        int discarded = flow.run.discard();
        if (discarded > 0) {
            counters.add(ForwarderCounter.DROPPED_SEND_FAILED, discarded);
        }
        limits.releaseFlow();
        counters.increment(why);
    }

    private void releaseHandshake(Flow flow) {
        if (flow.budgeted) {
            flow.budgeted = false;
            limits.handshakes.release(flow.client, prefixScratch);
        }
    }

    private void linkNewest(Flow flow) {
        flow.older = newestUnconfirmed;
        flow.newer = null;
        if (newestUnconfirmed != null) {
            newestUnconfirmed.newer = flow;
        } else {
            oldestUnconfirmed = flow;
        }
        newestUnconfirmed = flow;
    }

    private void unlink(Flow flow) {
        if (flow.older != null) {
            flow.older.newer = flow.newer;
        } else if (oldestUnconfirmed == flow) {
            oldestUnconfirmed = flow.newer;
        }
        if (flow.newer != null) {
            flow.newer.older = flow.older;
        } else if (newestUnconfirmed == flow) {
            newestUnconfirmed = flow.older;
        }
        flow.older = null;
        flow.newer = null;
    }
}
