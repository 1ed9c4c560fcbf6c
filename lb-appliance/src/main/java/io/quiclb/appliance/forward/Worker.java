package io.quiclb.appliance.forward;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.RoutingService;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything one forwarder event loop owns: its listener sockets (one per listener address), its router, its
 * NAT flows with their upstream sockets, and its counters. Workers share only the route table snapshot and the
 * global flow count; a client's datagrams reach one worker (the kernel's SO_REUSEPORT hash of the 4-tuple), so
 * a worker routes them without locks.
 *
 * <p>Per datagram: copy at most {@value Router#HEADER_PREFIX_LENGTH} header octets into a scratch array, read the
 * route table once, route, find the flow, write the datagram's buffer to the flow's socket. Sockets written to
 * are flushed once per read batch. Nothing allocates on that path beyond Netty's datagram envelope. With UDP GSO
 * (epoll), a flow's datagrams of one read batch are gathered into runs of equal size ({@link GsoRun}) and each run
 * goes out as one send: an envelope and a promise per run of two or more, and a pooled buffer the run's datagrams
 * are copied into.
 *
 * <p><b>Hot path.</b> <b>Thread safety:</b> every method runs on this worker's event loop.
 */
final class Worker {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Worker.class);
    /** Internal errors logged with their stack trace; later ones are only counted. */
    private static final int LOGGED_INTERNAL_ERRORS = 10;
    /** errno values with which the kernel refuses a UDP GSO send it cannot carry out. */
    private static final int EIO = 5;
    private static final int EINVAL = 22;
    private final int index;
    private final EventLoop eventLoop;
    private final RoutingService routing;
    private final Router router;
    private final AddressKeyTable<Flow> flows;
    private final WorkerCounters counters = new WorkerCounters();
    private final AtomicLong flowCount;
    private final long maxFlows;
    private final int maxDatagramSize;
    private final byte[] header = new byte[Router.HEADER_PREFIX_LENGTH];
    private final UpstreamOpener upstreams;
    private final List<Flow> toFlush = new ArrayList<>();
    private Channel[] listeners = new Channel[0];
    private long now = System.nanoTime();
    private int internalErrors;
    private boolean gso;

    Worker(int index, EventLoop eventLoop, UpstreamOpener upstreams, RoutingService routing, AtomicLong flowCount,
           long maxFlows, int maxTableEntries, int maxDatagramSize) {
        this.index = index;
        this.eventLoop = eventLoop;
        this.routing = routing;
        this.router = new Router(maxTableEntries);
        this.flows = new AddressKeyTable<>(maxTableEntries);
        this.flowCount = flowCount;
        this.maxFlows = maxFlows;
        this.maxDatagramSize = maxDatagramSize;
        this.upstreams = upstreams;
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

    void setListeners(Channel[] listeners) {
        this.listeners = listeners;
    }

    Channel[] listeners() {
        return listeners;
    }

    /** @return remembered fallback decisions this worker holds now */
    int tableEntries() {
        return router.tableEntries();
    }

    /** A datagram from a client arrived on listener {@code listener}. Takes ownership of {@code packet}. */
    void onDatagram(int listener, DatagramPacket packet) {
        counters.increment(ForwarderCounter.RECEIVED);
        final ByteBuf content = packet.content();
        final int length = content.readableBytes();
        if (length >= maxDatagramSize) {
            drop(packet, ForwarderCounter.DROPPED_TOO_LARGE);
            return;
        }
        final int headerLength = Math.min(length, Router.HEADER_PREFIX_LENGTH);
        content.getBytes(content.readerIndex(), header, 0, headerLength);
        final RouteTable table = routing.current();
        final InetSocketAddress client = packet.sender();
        final ForwarderCounter outcome = router.route(table, header, headerLength, client, listener, now);
        if (outcome.isDrop()) {
            drop(packet, outcome);
            return;
        }
        final InetSocketAddress target = router.target();
        Flow flow = flows.get(client, listener, target, header, 0, 0, now);
        if (flow == null) {
            flow = openFlow(client, listener, target, router);
            if (flow == null) {
                drop(packet, ForwarderCounter.DROPPED_FLOW_LIMIT);
                return;
            }
        }
        if (flow.connected) {
            if (gso) {
                if (!flow.run.offer(content, flow.upstream.alloc())) {
                    sendRun(flow);
                    flow.run.offer(content, flow.upstream.alloc());
                }
            } else {
                flow.upstream.write(content, flow.upstream.voidPromise());
            }
            if (!flow.flushPending) {
                flow.flushPending = true;
                toFlush.add(flow);
            }
        } else if (!flow.enqueue(content)) {
            drop(packet, ForwarderCounter.DROPPED_FLOW_NOT_READY);
            return;
        }
        counters.increment(outcome);
        if (router.routedConfigId() >= 0) {
            counters.incrementRoutedByConfig(router.routedConfigId());
        }
        flow.server.forwarded().increment(index);
    }

    /** The end of a read batch on a listener: flush the upstream sockets written to. */
    void onReadBatchEnd() {
        final List<Flow> toFlush = this.toFlush;
        for (int i = 0, n = toFlush.size(); i < n; i++) {
            Flow flow = toFlush.get(i);
            flow.flushPending = false;
            if (flow.run.segments() > 0) {
                sendRun(flow);
            }
            flow.upstream.flush();
        }
        toFlush.clear();
        now = System.nanoTime();
    }

    /**
     * Writes the flow's run: a lone datagram as it is, two or more as one GSO send (its envelope and promise are the
     * allocations, per run of two or more rather than per datagram).
     */
    private void sendRun(Flow flow) {
        final Channel upstream = flow.upstream;
        final ByteBuf single = flow.run.takeSingle();
        if (single != null) {
            upstream.write(single, upstream.voidPromise());
            return;
        }
        final int segmentSize = flow.run.segmentSize();
        final int segments = flow.run.segments();
        upstream.write(new SegmentedDatagramPacket(flow.run.takeGathered(), segmentSize, flow.target),
                new GsoSendPromise(upstream, this, segments));
        counters.increment(ForwarderCounter.GSO_SENDS);
    }

    /**
     * A GSO send failed: its datagrams are dropped. The kernel refuses GSO with EIO where the path cannot segment
     * (no checksum offload, IPsec) and with EINVAL where it cannot take the run's shape; this worker then sends one
     * datagram at a time from now on, and says so once.
     */
    void onGsoSendFailed(int segments, Throwable cause) {
        counters.add(ForwarderCounter.DROPPED_SEND_FAILED, segments);
        if (gso && cause instanceof Errors.NativeIoException error
                && (error.expectedErr() == -EIO || error.expectedErr() == -EINVAL)) {
            gso = false;
            LOG.warn("forwarder worker {}: a UDP GSO send failed ({}); this worker sends datagrams one by one from"
                    + " now on (set forwarder.gso: false to skip GSO)", index, cause.getMessage());
        }
    }

    /** A reply from the flow's target. Takes ownership of {@code reply}. */
    void onReply(Flow flow, DatagramPacket reply) {
        Channel listener = listeners[flow.listener];
        flows.get(flow.client, flow.listener, flow.target, header, 0, 0, now); // refreshes the idle timer
        listener.write(new DatagramPacket(reply.content(), flow.client), listener.voidPromise());
        counters.increment(ForwarderCounter.REPLIES);
    }

    /** The end of a read batch on an upstream socket: flush its flow's listener. */
    void onReplyBatchEnd(Flow flow) {
        listeners[flow.listener].flush();
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

    void count(ForwarderCounter counter) {
        counters.increment(counter);
    }

    /** Closes flows and forgets fallback decisions idle for longer than {@code idleNanos}. */
    void expire(long idleNanos) {
        now = System.nanoTime();
        long idleBefore = now - idleNanos;
        flows.expire(idleBefore, flow -> {
            counters.increment(ForwarderCounter.FLOWS_EXPIRED);
            closeFlow(flow);
        });
        router.expire(idleBefore);
    }

    /** Re-keys the router for a new route table before datagrams need it. */
    void prepare(RouteTable table) {
        router.prepare(table);
    }

    /**
     * Closes every flow; for shutdown.
     *
     * @return the close futures of the upstream sockets
     */
    List<ChannelFuture> closeAll() {
        List<Flow> all = new ArrayList<>();
        flows.forEach(all::add);
        flows.clear();
        List<ChannelFuture> closing = new ArrayList<>();
        for (Flow flow : all) {
            closeFlow(flow);
            closing.add(flow.upstream.closeFuture());
        }
        return closing;
    }

    private Flow openFlow(InetSocketAddress client, int listener, InetSocketAddress target, Router router) {
        if (flowCount.incrementAndGet() > maxFlows) {
            flowCount.decrementAndGet();
            return null;
        }
        Flow flow = new Flow(client, listener, target, router.server());
        if (!flows.put(client, listener, target, header, 0, 0, flow, now)) {
            flowCount.decrementAndGet();
            return null;
        }
        counters.increment(ForwarderCounter.FLOWS_OPENED);
        ChannelFuture connect = upstreams.open(target, new UpstreamHandler(this, flow));
        flow.upstream = connect.channel();
        flow.upstream.closeFuture().addListener(f -> onUpstreamClosed(flow));
        connect.addListener(f -> onUpstreamConnected(flow, f.isSuccess()));
        return flow;
    }

    private void onUpstreamConnected(Flow flow, boolean success) {
        int waiting = flow.pendingCount();
        if (!success || flow.closed) {
            for (int i = 0; i < waiting; i++) {
                flow.takePending(i).release();
                counters.increment(ForwarderCounter.DROPPED_SEND_FAILED);
            }
            flow.clearPending();
            flow.upstream.close();
            return;
        }
        flow.connected = true;
        for (int i = 0; i < waiting; i++) {
            flow.upstream.write(flow.takePending(i), flow.upstream.voidPromise());
        }
        flow.clearPending();
        flow.upstream.flush();
    }

    private void onUpstreamClosed(Flow flow) {
        flow.run.discard();
        if (!flow.closed) {
            flow.closed = true;
            flows.removeValue(flow.client, flow.listener, flow.target, header, 0, 0, flow);
        }
        for (int i = 0; i < flow.pendingCount(); i++) {
            ByteBuf datagram = flow.takePending(i);
            if (datagram != null) {
                datagram.release();
                counters.increment(ForwarderCounter.DROPPED_SEND_FAILED);
            }
        }
        flow.clearPending();
        flowCount.decrementAndGet();
    }

    private void closeFlow(Flow flow) {
        flow.closed = true;
        flow.upstream.close();
    }

    private void drop(DatagramPacket packet, ForwarderCounter reason) {
        counters.increment(reason);
        packet.release();
    }
}
