package io.quiclb.appliance.forward;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.quiclb.appliance.decision.DecisionTables;
import io.quiclb.appliance.route.Placement;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.RoutingService;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything one forwarder event loop owns: its listener sockets (one per local address), its router, its NAT
 * flows, its upstream ports and its counters. Workers share the route table snapshot, the draft-21 §4.2 decision
 * tables ({@link DecisionTables}), the local address numbering and the flow limits ({@link FlowLimits}), all built
 * for sharing; everything else here is the worker's own and needs no lock.
 *
 * <p>Per datagram: copy the header prefix (at most {@value Router#HEADER_PREFIX_LENGTH} octets, more only for a
 * long header of an unknown version with long connection IDs) into a scratch array, read the route table once,
 * route, find the flow, write the datagram's buffer to the flow's upstream port. Ports written to are flushed once
 * per read batch. Nothing allocates on that path beyond Netty's envelopes (the received {@code DatagramPacket}, and
 * the one that addresses the datagram to its target on the shared, unconnected port). With UDP GSO, a flow's
 * datagrams of one read batch are gathered into runs of equal size ({@link GsoRun}) and each run goes out as one
 * send. The routed short header's only extra work for the §4.2 tables is a time comparison: each flow records its
 * 4-tuple's placement in the shared 4-tuple table once per quarter flow idle timeout.
 *
 * <p>Flows follow a connection tracker's life ({@link FlowTable}): unconfirmed ones expire after
 * {@code forwarder.unconfirmedFlowIdleTimeout} without a client datagram and are evicted, oldest first, when the flow
 * table is full; a flow opened by an unroutable DCID holds a unit of the handshake budget until it is confirmed, and
 * with the budget spent a new first flight takes the place of the oldest one the server answered and the client
 * never confirmed, or is dropped.
 * Failure paths count by cause and log at most once per {@value IntervalLog#INTERVAL_SECONDS} s per cause.
 *
 * <p><b>Hot path.</b> <b>Thread safety:</b> every method runs on this worker's event loop.
 */
final class Worker {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Worker.class);
    /** Internal errors logged with their stack trace; later ones are only counted. */
    private static final int LOGGED_INTERNAL_ERRORS = 10;
    private static final int LOG_TABLE_FULL = 1;
    private static final int LOG_SEND = 2;
    private static final int LOG_RECEIVE = 3;
    private static final int LOG_LOOP = 4;

    private final int index;
    private final EventLoop eventLoop;
    private final RoutingService routing;
    private final Router router;
    private final DecisionTables decisions;
    private final FlowLimits limits;
    private final UpstreamPorts ports;
    private final WorkerCounters counters = new WorkerCounters();
    private final FlowTable flows;
    private final IntervalLog pacing = new IntervalLog(5);
    private final GsoRefusals gsoRefusals;
    private final long unconfirmedIdleNanos;
    private final long confirmedIdleNanos;
    private final long tupleRefreshNanos;
    private final int maxDatagramSize;
    private final OwnUpstreamPorts ownPorts;
    private final byte[] header = new byte[Router.MAX_HEADER_PREFIX_LENGTH];
    private final byte[] replyHeader = new byte[Router.HEADER_PREFIX_LENGTH];
    private final List<Flow> toFlush = new ArrayList<>();
    private final List<UpstreamPort> portsToFlush = new ArrayList<>();
    private final ReplyListeners listeners = new ReplyListeners();
    private long now = System.nanoTime();
    private int internalErrors;
    private boolean gso;

    /**
     * @param index     this worker's number
     * @param eventLoop its event loop
     * @param opener    opens its upstream sockets
     * @param shared    what all workers share
     */
    Worker(int index, EventLoop eventLoop, PortOpener opener, Shared shared) {
        this.index = index;
        this.eventLoop = eventLoop;
        this.routing = shared.routing();
        this.decisions = shared.decisions();
        this.router = new Router(shared.decisions(), shared.locals());
        this.limits = shared.limits();
        this.ports = new UpstreamPorts(opener, shared.limits().sockets, shared.upstreamSources());
        int maxEntries = (int) Math.min(Integer.MAX_VALUE / 2, shared.maxTableEntries());
        this.flows = new FlowTable(index, maxEntries, ports, shared.decisions(), limits, counters);
        this.unconfirmedIdleNanos = shared.unconfirmedIdleNanos();
        this.confirmedIdleNanos = shared.confirmedIdleNanos();
        this.tupleRefreshNanos = shared.confirmedIdleNanos() / 4;
        this.maxDatagramSize = shared.maxDatagramSize();
        this.ownPorts = shared.ownPorts();
        this.gsoRefusals = new GsoRefusals(index, ports, flows, counters, pacing);
    }

    /**
     * What every worker shares, built for sharing.
     *
     * @param routing              the route table in force
     * @param decisions            the §4.2 tables
     * @param locals               the local address numbering
     * @param limits               flow, handshake and socket bounds
     * @param upstreamSources      source addresses of upstream sockets; empty for the wildcard
     * @param maxTableEntries      entries a worker's flow table may hold
     * @param unconfirmedIdleNanos idle time after which an unconfirmed flow closes
     * @param confirmedIdleNanos   idle time after which a confirmed flow closes
     * @param maxDatagramSize      receive buffer per datagram
     * @param ownPorts             the upstream sockets' ports, to drop datagrams the appliance sent to itself
     */
    record Shared(RoutingService routing, DecisionTables decisions, LocalAddresses locals, FlowLimits limits,
                  List<java.net.InetAddress> upstreamSources, long maxTableEntries, long unconfirmedIdleNanos,
                  long confirmedIdleNanos, int maxDatagramSize, OwnUpstreamPorts ownPorts) {
    }

    int index() {
        return index;
    }

    /** @param gso whether to gather each flow's datagrams of a read batch into UDP GSO sends */
    void setGso(boolean gso) {
        this.gso = gso;
    }

    EventLoop eventLoop() {
        return eventLoop;
    }

    WorkerCounters counters() {
        return counters;
    }

    /** @param listeners this worker's socket for each local address, by number (null where it has none) */
    void setListeners(Channel[] listeners) {
        this.listeners.setAll(listeners);
    }

    /** Adds this worker's socket for a local address numbered later (a destination found behind a wildcard). */
    void setListener(int local, Channel channel) {
        listeners.set(local, channel);
    }

    /** @return whether this worker has a socket bound to the local address numbered {@code local} */
    boolean hasListener(int local) {
        return listeners.has(local);
    }

    /**
     * Datagrams reached a wildcard listener for a destination this worker cannot reply from. Takes ownership of
     * {@code packet}.
     *
     * @param datagrams how many client datagrams {@code packet} holds (more than one when UDP GRO coalesced them)
     */
    void onUnknownDestination(DatagramPacket packet, int datagrams) {
        counters.add(ForwarderCounter.RECEIVED, datagrams);
        counters.add(ForwarderCounter.DROPPED_UNKNOWN_DESTINATION, datagrams);
        packet.release();
    }

    /** @return this worker's socket for each local address, by number (null where it has none) */
    Channel[] listeners() {
        return listeners.all();
    }

    /** @return upstream sockets open now */
    int upstreamSockets() {
        return ports.open();
    }

    /** @return the worker's flows, for a takeover ({@link WorkerHandover}) */
    FlowTable flowTable() {
        return flows;
    }

    /** @return the worker's upstream ports, for a takeover ({@link WorkerHandover}) */
    UpstreamPorts upstreamPorts() {
        return ports;
    }

    /** A datagram from a client arrived on local address {@code local}. Takes ownership of {@code packet}. */
    void onDatagram(int local, DatagramPacket packet) {
        counters.increment(ForwarderCounter.RECEIVED);
        final ByteBuf content = packet.content();
        final int length = content.readableBytes();
        if (length >= maxDatagramSize) {
            drop(packet, ForwarderCounter.DROPPED_TOO_LARGE);
            return;
        }
        final int readerIndex = content.readerIndex();
        int headerLength = Math.min(length, Router.HEADER_PREFIX_LENGTH);
        content.getBytes(readerIndex, header, 0, headerLength);
        if (header[0] < 0 && headerLength < length) {
            // A long header of an unknown version may carry connection IDs of up to 255 octets (RFC 8999).
            int needed = Math.min(length, Router.prefixNeeded(header, headerLength));
            if (needed > headerLength) {
                content.getBytes(readerIndex + headerLength, header, headerLength, needed - headerLength);
                headerLength = needed;
            }
        }
        final RouteTable table = routing.current();
        final InetSocketAddress client = packet.sender();
        if (ownPorts.isOwn(client)) {
            loop(packet, client);
            return;
        }
        final ForwarderCounter outcome = router.route(table, header, headerLength, client, local, now);
        if (outcome.isDrop()) {
            drop(packet, outcome);
            return;
        }
        final boolean fallback = outcome == ForwarderCounter.ROUTED_BY_FALLBACK;
        final boolean unroutable = fallback || outcome == ForwarderCounter.ROUTED_BY_TABLE;
        if (unroutable && router.note() != null) {
            counters.increment(router.note());
        }
        final Placement placement = router.placement();
        Flow flow = flows.get(client, local, placement.target(), now);
        final boolean opened = flow == null;
        if (opened) {
            flow = flows.open(client, local, placement, unroutable, now);
            if (flow == null) {
                drop(packet, flows.refusal());
                return;
            }
            flow.tupleRecorded = now - tupleRefreshNanos;
        } else {
            flows.onClientDatagram(flow, now);
        }
        if (fallback) {
            // §4.2 step 5, once the datagram has a flow: a dropped first flight leaves nothing in the tables.
            if (!router.recordDecision(header, client, local, now)) {
                tableFull();
            }
            flow.tupleRecorded = now;
            if (opened || flow.firstFlightIds != null) {
                // A later fallback on an unconfirmed flow (its entries expired or a table was full) recorded anew.
                flow.firstFlightIds = router.decidedIds(header);
            }
        }
        send(flow, content);
        counters.increment(outcome);
        if (router.routedConfigId() >= 0) {
            counters.incrementRoutedByConfig(router.routedConfigId());
        }
        placement.server().forwarded().increment(index);
        if (now - flow.tupleRecorded >= tupleRefreshNanos) {
            // Keeps the 4-tuple's decision fresh while the connection carries traffic, however it is routed.
            flow.tupleRecorded = now;
            if (!decisions.recordTuple(client, local, flow.placement, now)) {
                tableFull();
            }
        }
    }

    private void send(Flow flow, ByteBuf content) {
        if (gso && flow.gso) {
            if (!flow.run.offer(content, flow.port.channel.alloc())) {
                sendRun(flow);
                flow.run.offer(content, flow.port.channel.alloc());
            }
            if (!flow.flushPending) {
                flow.flushPending = true;
                toFlush.add(flow);
            }
            return;
        }
        Channel channel = flow.port.channel;
        channel.write(new DatagramPacket(content, flow.target), channel.voidPromise());
        portWritten(flow.port);
    }

    /** The end of a read batch on a listener: send the gathered runs and flush the upstream ports written to. */
    void onReadBatchEnd() {
        final List<Flow> toFlush = this.toFlush;
        for (int i = 0, n = toFlush.size(); i < n; i++) {
            Flow flow = toFlush.get(i);
            flow.flushPending = false;
            if (!flow.closed && flow.run.segments() > 0) {
                sendRun(flow);
            }
        }
        toFlush.clear();
        final List<UpstreamPort> portsToFlush = this.portsToFlush;
        for (int i = 0, n = portsToFlush.size(); i < n; i++) {
            UpstreamPort port = portsToFlush.get(i);
            port.flushPending = false;
            port.channel.flush();
        }
        portsToFlush.clear();
        now = System.nanoTime();
    }

    private void portWritten(UpstreamPort port) {
        if (!port.flushPending) {
            port.flushPending = true;
            portsToFlush.add(port);
        }
    }

    /**
     * Writes the flow's run: a lone datagram as it is, two or more as one GSO send (its envelope and promise are the
     * allocations, per run of two or more rather than per datagram).
     */
    private void sendRun(Flow flow) {
        final Channel channel = flow.port.channel;
        final ByteBuf single = flow.run.takeSingle();
        if (single != null) {
            channel.write(new DatagramPacket(single, flow.target), channel.voidPromise());
        } else {
            final int segmentSize = flow.run.segmentSize();
            final int segments = flow.run.segments();
            final ByteBuf gathered = flow.run.takeGathered();
            // The promise keeps a reference so a refused batch can be sent again datagram by datagram.
            channel.write(new SegmentedDatagramPacket(gathered.retain(), segmentSize, flow.target),
                    new GsoSendPromise(channel, this, flow.target, gathered, segmentSize, segments));
            counters.increment(ForwarderCounter.GSO_SENDS);
        }
        portWritten(flow.port);
    }

    /** A GSO send failed: the kernel refused the batch or its datagrams ({@link GsoRefusals}). */
    void onGsoSendFailed(GsoSendPromise promise, Throwable cause) {
        if (!gsoRefusals.onFailed(promise, cause, gso, now)) {
            gso = false;
        }
    }

    /** A reply arrived at an upstream port. Takes ownership of {@code reply}. */
    void onReply(UpstreamPort port, DatagramPacket reply) {
        final Flow flow = flows.byReply(port, reply.sender(), now);
        if (flow == null) {
            counters.increment(ForwarderCounter.DROPPED_REPLY_NO_FLOW);
            reply.release();
            return;
        }
        flows.onReply(flow, now);
        final ByteBuf content = reply.content();
        if (content.isReadable() && content.getByte(content.readerIndex()) < 0) {
            int length = Math.min(content.readableBytes(), Router.HEADER_PREFIX_LENGTH);
            content.getBytes(content.readerIndex(), replyHeader, 0, length);
            if (router.learnFromReply(routing.current(), replyHeader, length, flow.placement, now)) {
                counters.increment(ForwarderCounter.SERVER_CIDS_LEARNED);
            }
        }
        listeners.write(flow.local, new DatagramPacket(content, flow.client));
        counters.increment(ForwarderCounter.REPLIES);
    }

    /** The end of a read batch on an upstream port: flush the listeners its replies went through. */
    void onReplyBatchEnd() {
        listeners.flush();
        now = System.nanoTime();
    }

    /**
     * A bug: the data path threw. Counted as a drop so it shows in metrics, logged for the first few; the datagram
     * may not have been released.
     */
    void onInternalError(RuntimeException e) {
        counters.increment(ForwarderCounter.DROPPED_INTERNAL_ERROR);
        if (internalErrors++ < LOGGED_INTERNAL_ERRORS) {
            LOG.error("forwarder worker {}: internal error on the data path (a bug; please report it)", index, e);
        }
    }

    /**
     * A socket of this worker reported an error: a send that failed (counted as {@code sendFailure}: the datagram is
     * lost) or a receive that failed (Netty names the receive call in the message). Said at most once per interval
     * per kind.
     *
     * @param sendFailure what a failed send on that socket counts as
     * @param cause       the error
     */
    void onSocketError(ForwarderCounter sendFailure, Throwable cause) {
        String message = cause.getMessage();
        boolean receive = message != null && message.contains("recv");
        counters.increment(receive ? ForwarderCounter.RECEIVE_ERRORS : sendFailure);
        long times = pacing.due(receive ? LOG_RECEIVE : LOG_SEND, now);
        if (times > 0) {
            LOG.warn("forwarder worker {}: {} {} failed (latest: {})", index, times, receive ? "receive(s)" : "send(s)",
                    String.valueOf(cause));
        }
    }

    /** Closes unconfirmed flows without a client datagram for {@code forwarder.unconfirmedFlowIdleTimeout}. */
    void expireUnconfirmed() {
        now = System.nanoTime();
        flows.expireUnconfirmed(now - unconfirmedIdleNanos);
    }

    /**
     * Closes confirmed flows without a datagram either way for {@code forwarder.flowIdleTimeout}, then the trailing
     * upstream sockets no flow uses.
     */
    void expireConfirmed() {
        now = System.nanoTime();
        flows.expireConfirmed(now - confirmedIdleNanos);
        ports.closeIdle();
        ports.rotateCooling();
    }

    /** Re-keys the router for a new route table before datagrams need it. */
    void prepare(RouteTable table) {
        router.prepare(table);
    }

    /**
     * Closes every flow and upstream socket; for shutdown.
     *
     * @return the close futures of the upstream sockets
     */
    List<ChannelFuture> closeAll() {
        flows.closeAll();
        return ports.closeAll();
    }

    private void tableFull() {
        counters.increment(ForwarderCounter.DECISION_TABLE_FULL);
        long times = pacing.due(LOG_TABLE_FULL, now);
        if (times > 0) {
            LOG.warn("forwarder worker {}: {} routing decision(s) not recorded: a draft-21 §4.2 table is full; raise"
                    + " forwarder.maxFlows or lower forwarder.flowIdleTimeout", index, times);
        }
    }

    private void loop(DatagramPacket packet, InetSocketAddress sender) {
        drop(packet, ForwarderCounter.DROPPED_LOOP);
        long times = pacing.due(LOG_LOOP, now);
        if (times > 0) {
            LOG.warn("forwarder worker {}: {} datagram(s) came from the appliance's own upstream socket {}: a server"
                    + " address leads back to a listener (a forwarding loop); dropped. Fix that server's address",
                    index, times, sender);
        }
    }

    private void drop(DatagramPacket packet, ForwarderCounter reason) {
        counters.increment(reason);
        packet.release();
    }
}
