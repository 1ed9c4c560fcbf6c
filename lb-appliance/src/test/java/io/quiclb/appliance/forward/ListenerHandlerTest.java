package io.quiclb.appliance.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.decision.DecisionTables;
import io.quiclb.appliance.guard.HandshakeBudget;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.ServerId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The listener handler, its worker and the worker's upstream ports on {@link EmbeddedChannel}s: no sockets, every
 * buffer accounted for.
 */
class ListenerHandlerTest {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 6, 0, null, true);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private static final InetSocketAddress LISTENER = new InetSocketAddress("127.0.0.1", 4433);
    private static final InetSocketAddress A = new InetSocketAddress("127.0.0.1", 5001);
    private static final InetSocketAddress B = new InetSocketAddress("127.0.0.1", 5002);
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);

    private final RoutingService routing = new RoutingService(1, new QuicLbSettings(List.of(CONFIG)), List.of(
            new ServerEntry("a", HostPort.parse("127.0.0.1:5001"), Map.of(0, "0a01"), List.of()),
            new ServerEntry("b", HostPort.parse("127.0.0.1:5002"), Map.of(0, "0b02"), List.of())));
    private final List<EmbeddedChannel> ports = new ArrayList<>();
    private final List<ChannelOutboundHandlerAdapter> portInterceptors = new ArrayList<>();
    private final EmbeddedChannel listener = new EmbeddedChannel();
    private FlowLimits limits;
    private DecisionTables decisions;
    private Worker worker = newWorker(10, 10, HOUR);

    @AfterEach
    void noBufferLeftBehind() {
        assertFalse(listener.finishAndReleaseAll());
        for (EmbeddedChannel port : ports) {
            assertFalse(port.finishAndReleaseAll());
        }
    }

    private Worker newWorker(long maxFlows, long maxHandshakes, long unconfirmedIdleNanos) {
        limits = new FlowLimits(maxFlows, new HandshakeBudget(maxHandshakes, 0), new SocketBudget(10));
        return newWorker(limits, unconfirmedIdleNanos);
    }

    private Worker newWorker(FlowLimits flowLimits) {
        limits = flowLimits;
        return newWorker(flowLimits, HOUR);
    }

    private Worker newWorker(FlowLimits flowLimits, long unconfirmedIdleNanos) {
        decisions = new DecisionTables(100);
        Worker.Shared shared = new Worker.Shared(routing, decisions, LocalAddresses.of(List.of(LISTENER)), flowLimits,
                List.of(), 100, unconfirmedIdleNanos, HOUR, 2048, new OwnUpstreamPorts(java.util.Set.of()));
        Worker[] self = new Worker[1];
        Worker created = new Worker(0, listener.eventLoop(), (port, bindAddress) -> {
            EmbeddedChannel channel = new EmbeddedChannel(new UpstreamHandler(self[0], port));
            for (ChannelOutboundHandlerAdapter interceptor : portInterceptors) {
                channel.pipeline().addFirst(interceptor);
            }
            ports.add(channel);
            return channel;
        }, shared);
        self[0] = created;
        listener.pipeline().addLast(new ListenerHandler(created, 0));
        created.setListeners(new Channel[] {listener});
        return created;
    }

    @Test
    void shouldForwardTheDatagramBufferToItsTargetAndRelayTheReply() {
        byte[] datagram = QuicPackets.shortHeader(cid("0a01"), "hello");
        listener.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(datagram), LISTENER, CLIENT));
        assertEquals(1, ports.size());
        DatagramPacket forwarded = ports.get(0).readOutbound();
        assertEquals(A, forwarded.recipient());
        assertArrayEquals(datagram, ByteBufUtil.getBytes(forwarded.content()));
        forwarded.release();

        ports.get(0).writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}), null, A));
        DatagramPacket reply = listener.readOutbound();
        assertEquals(CLIENT, reply.recipient());
        assertArrayEquals(new byte[] {1, 2, 3}, ByteBufUtil.getBytes(reply.content()));
        reply.release();
        assertEquals(1, worker.counters().get(ForwarderCounter.ROUTED_BY_CID));
        assertEquals(1, worker.counters().get(ForwarderCounter.REPLIES));
        // A datagram at the port from an address with no flow there is not relayed.
        ByteBuf stray = Unpooled.wrappedBuffer(new byte[] {4});
        ports.get(0).writeInbound(new DatagramPacket(stray, null, B));
        assertEquals(0, stray.refCnt());
        assertNull(listener.readOutbound());
        assertEquals(1, worker.counters().get(ForwarderCounter.DROPPED_REPLY_NO_FLOW));
    }

    @Test
    void shouldReleaseWhatItDrops() {
        ByteBuf longDcid = Unpooled.wrappedBuffer(QuicPackets.longHeader(new byte[21], new byte[0], "x"));
        listener.writeInbound(new DatagramPacket(longDcid, LISTENER, CLIENT));
        assertEquals(0, longDcid.refCnt());
        assertEquals(1, worker.counters().get(ForwarderCounter.DROPPED_DCID_TOO_LONG));
        assertEquals(0, ports.size());
    }

    @Test
    void shouldCarryFlowsToDifferentTargetsOnOnePortAndFlowsToOneTargetOnDifferentPorts() {
        InetSocketAddress second = new InetSocketAddress("127.0.0.1", 40001);
        send(CLIENT, cid("0a01"), "to a");
        send(CLIENT, cid("0b02"), "to b");
        assertEquals(1, ports.size(), "one port carries a flow to each target");
        send(second, cid("0a01"), "second client to a");
        assertEquals(2, ports.size(), "a second flow to a needs a second port");
        assertEquals(2, worker.upstreamSockets());
        drainOutbound();
        // Each reply goes back to the client of the flow its port and sender name.
        ports.get(0).writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {1}), null, B));
        ports.get(1).writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {2}), null, A));
        ports.get(0).writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {3}), null, A));
        for (InetSocketAddress expected : List.of(CLIENT, second, CLIENT)) {
            DatagramPacket reply = listener.readOutbound();
            assertEquals(expected, reply.recipient());
            reply.release();
        }
        assertEquals(3, limits.flows());
    }

    @Test
    void shouldConfirmAFlowOnlyWhenTheClientSendsAfterTheServerAnswered() {
        worker = reset(10, 10, 1);
        byte[] initial = QuicPackets.longHeader(new byte[] {(byte) 0xe7, 1, 2, 3, 4, 5, 6, 7}, new byte[] {9}, "x");
        listener.writeInbound(packet(CLIENT, initial), packet(CLIENT, initial));
        DatagramPacket first = ports.get(0).readOutbound();
        InetSocketAddress target = first.recipient();
        first.release();
        drainOutbound();
        assertEquals(1, limits.handshakes.inProgress(), "an unroutable DCID opened the flow");
        assertEquals(1, worker.counters().gauge(WorkerCounters.UNCONFIRMED_FLOWS));
        // A client that keeps sending without an answer stays unconfirmed.
        send(CLIENT, initial);
        assertEquals(0, worker.counters().get(ForwarderCounter.FLOWS_CONFIRMED));
        drainOutbound();
        ports.get(0).writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {1}), null, target));
        ((DatagramPacket) listener.readOutbound()).release();
        assertEquals(0, worker.counters().get(ForwarderCounter.FLOWS_CONFIRMED), "an answer alone does not confirm");
        send(CLIENT, initial);
        drainOutbound();
        assertEquals(1, worker.counters().get(ForwarderCounter.FLOWS_CONFIRMED));
        assertEquals(0, limits.handshakes.inProgress(), "a confirmed flow gives its handshake unit back");
        assertEquals(1, worker.counters().gauge(WorkerCounters.CONFIRMED_FLOWS));
        // A second client never confirms: its flow expires after the unconfirmed timeout (1 ns here), the confirmed
        // one does not.
        send(new InetSocketAddress("127.0.0.1", 40001), initial);
        drainOutbound();
        worker.expireUnconfirmed();
        assertEquals(1, worker.counters().get(ForwarderCounter.FLOWS_EXPIRED_UNCONFIRMED));
        assertEquals(1, limits.flows());
        assertEquals(0, limits.handshakes.inProgress());
        assertEquals(0, worker.counters().gauge(WorkerCounters.UNCONFIRMED_FLOWS));
    }

    @Test
    void shouldEvictTheOldestUnconfirmedFlowWhenTheTableIsFull() {
        worker = reset(3, 10, HOUR);
        for (int port = 40000; port < 40003; port++) {
            send(new InetSocketAddress("127.0.0.1", port), cid("0a01"), "p" + port);
        }
        assertEquals(3, limits.flows());
        send(new InetSocketAddress("127.0.0.1", 40003), cid("0a01"), "fourth");
        assertEquals(1, worker.counters().get(ForwarderCounter.FLOWS_EVICTED));
        assertEquals(3, limits.flows());
        assertEquals(4, worker.counters().get(ForwarderCounter.ROUTED_BY_CID));
        drainOutbound();
        // The evicted flow was the oldest, on port 0: its place there cools, so a late reply on port 0 reaches nobody
        // rather than the new flow, which took a new port.
        assertEquals(4, ports.size());
        ByteBuf late = Unpooled.wrappedBuffer(new byte[] {1});
        ports.get(0).writeInbound(new DatagramPacket(late, null, A));
        assertEquals(0, late.refCnt());
        assertNull(listener.readOutbound());
        assertEquals(1, worker.counters().get(ForwarderCounter.DROPPED_REPLY_NO_FLOW));
        ports.get(3).writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {2}), null, A));
        DatagramPacket reply = listener.readOutbound();
        assertEquals(40003, reply.recipient().getPort());
        reply.release();
    }

    @Test
    void shouldReuseACoolingPlaceOnlyWhenNoSocketCanBeOpened() {
        // One socket at most: a flow to a, closed, then a new flow to a. With no second socket to open, the new flow
        // takes the place that is still cooling rather than be refused.
        listener.pipeline().removeFirst();
        FlowLimits oneSocket = new FlowLimits(1, new HandshakeBudget(10, 0), new SocketBudget(1));
        worker = newWorker(oneSocket);
        send(CLIENT, cid("0a01"), "first");
        send(new InetSocketAddress("127.0.0.1", 40001), cid("0a01"), "second");
        assertEquals(1, ports.size());
        assertEquals(1, worker.counters().get(ForwarderCounter.FLOWS_EVICTED));
        assertEquals(2, worker.counters().get(ForwarderCounter.ROUTED_BY_CID));
        drainOutbound();
    }

    @Test
    void shouldDropFirstFlightsPastTheHandshakeBudgetButNotCidRoutedDatagrams() {
        worker = reset(100, 2, HOUR);
        for (int port = 40000; port < 40003; port++) {
            send(new InetSocketAddress("127.0.0.1", port), initial(port));
        }
        assertEquals(1, worker.counters().get(ForwarderCounter.DROPPED_INITIAL_BUDGET), "servers silent: no room");
        assertEquals(2, limits.handshakes.inProgress());
        send(new InetSocketAddress("127.0.0.1", 40004), cid("0a01"), "routable");
        assertEquals(1, worker.counters().get(ForwarderCounter.ROUTED_BY_CID));
        assertEquals(3, limits.flows());
        drainOutbound();
    }

    @Test
    void shouldGiveTheBudgetOfAnAnsweredButNeverConfirmedFirstFlightToANewOne() {
        // What a spoofed source leaves: the server answered, the client never sent again.
        worker = reset(100, 2, HOUR);
        InetSocketAddress spoofed = new InetSocketAddress("127.0.0.1", 40000);
        send(spoofed, initial(1));
        send(new InetSocketAddress("127.0.0.1", 40001), initial(2));
        DatagramPacket first = ports.get(0).readOutbound();
        InetSocketAddress target = first.recipient();
        first.release();
        drainOutbound();
        ports.get(0).writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {1}), null, target));
        ((DatagramPacket) listener.readOutbound()).release();
        send(new InetSocketAddress("127.0.0.1", 40002), initial(3));
        assertEquals(0, worker.counters().get(ForwarderCounter.DROPPED_INITIAL_BUDGET));
        assertEquals(1, worker.counters().get(ForwarderCounter.FLOWS_EVICTED), "the answered one made room");
        assertEquals(2, limits.handshakes.inProgress());
        // The unanswered one is not evicted for another: the budget is spent again.
        send(new InetSocketAddress("127.0.0.1", 40003), initial(4));
        assertEquals(1, worker.counters().get(ForwarderCounter.DROPPED_INITIAL_BUDGET));
        drainOutbound();
    }

    @Test
    void shouldForgetTheSection42EntriesOfAFirstFlightClosedUnconfirmedButNotOfAConfirmedOne() {
        worker = reset(100, 1, HOUR);
        InetSocketAddress spoofed = new InetSocketAddress("127.0.0.1", 40000);
        send(spoofed, initial(1));
        assertEquals(3, decisions.size(), "4-tuple, 4-tuple and SCID, DCID");
        // Budget spent and nothing answered: the second first flight is dropped and records nothing.
        InetSocketAddress real = new InetSocketAddress("127.0.0.1", 40001);
        send(real, initial(2));
        assertEquals(1, worker.counters().get(ForwarderCounter.DROPPED_INITIAL_BUDGET));
        assertEquals(3, decisions.size());
        // The server answers the spoofed source, which never confirms: the next first flight evicts it, and its
        // entries go with it.
        DatagramPacket first = ports.get(0).readOutbound();
        InetSocketAddress target = first.recipient();
        first.release();
        ports.get(0).writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {1}), null, target));
        ((DatagramPacket) listener.readOutbound()).release();
        send(real, initial(2));
        assertEquals(1, worker.counters().get(ForwarderCounter.FLOWS_EVICTED));
        assertEquals(3, decisions.size(), "the evicted flight's three entries forgotten, the new one's three added");
        // The real client confirms; closing its flow then keeps the decisions, as the connection may go on.
        EmbeddedChannel realPort = null;
        InetSocketAddress realTarget = null;
        for (EmbeddedChannel port : ports) {
            DatagramPacket sent = port.readOutbound();
            if (sent != null) {
                realPort = port;
                realTarget = sent.recipient();
                sent.release();
            }
        }
        realPort.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {2}), null, realTarget));
        ((DatagramPacket) listener.readOutbound()).release();
        send(real, cid(realTarget.equals(A) ? "0a01" : "0b02"), "confirms");
        assertEquals(1, worker.counters().get(ForwarderCounter.FLOWS_CONFIRMED));
        worker.closeAll();
        assertEquals(3, decisions.size());
        drainOutbound();
    }

    @Test
    void shouldCountEveryCoalescedDatagramForADestinationNoSocketCanReplyFrom() {
        Destinations none = new Destinations() {
            @Override
            public int localFor(Worker worker, InetSocketAddress destination) {
                return -1;
            }

            @Override
            public void unknownDestination() {
            }
        };
        EmbeddedChannel wildcard = new EmbeddedChannel(new ListenerHandler(worker, none));
        ByteBuf coalesced = Unpooled.wrappedBuffer(new byte[2500]);
        wildcard.writeInbound(new SegmentedDatagramPacket(coalesced, 1000, LISTENER, CLIENT));
        assertEquals(0, coalesced.refCnt());
        assertEquals(3, worker.counters().get(ForwarderCounter.RECEIVED));
        assertEquals(3, worker.counters().get(ForwarderCounter.DROPPED_UNKNOWN_DESTINATION));
        assertFalse(wildcard.finishAndReleaseAll());
    }

    private static byte[] initial(int id) {
        return QuicPackets.longHeader(new byte[] {(byte) 0xe7, 1, 2, 3, 4, 5, (byte) (id >> 8), (byte) id},
                new byte[] {1}, "initial");
    }

    @Test
    void shouldRecordTheFourTupleOfCidRoutedTrafficSoAnUnroutableShortHeaderFollows() {
        // A client's stateless reset (random DCID, here config 6, which has no configuration) on the 4-tuple of a
        // connection routed by CID reaches that connection's server (draft-21 §4.2 step 4; §6).
        send(CLIENT, cid("0b02"), "routed by cid");
        byte[] reset = QuicPackets.shortHeader(io.quiclb.codec.Hex.decode("c", "c5112233445566778899"), "reset");
        send(CLIENT, reset);
        assertEquals(1, worker.counters().get(ForwarderCounter.ROUTED_BY_TABLE));
        assertEquals(1, worker.counters().get(ForwarderCounter.UNROUTABLE_SHORT_UNKNOWN_CONFIG));
        DatagramPacket first = ports.get(0).readOutbound();
        DatagramPacket second = ports.get(0).readOutbound();
        assertEquals(B, first.recipient());
        assertEquals(B, second.recipient());
        first.release();
        second.release();
    }

    @Test
    void shouldSendAFlowsDatagramsOfOneReadBatchAsOneGsoSend() {
        worker.setGso(true);
        byte[] cid = cid("0a01");
        List<byte[]> batch = List.of(QuicPackets.shortHeader(cid, "aa"), QuicPackets.shortHeader(cid, "bb"),
                QuicPackets.shortHeader(cid, "cc"), QuicPackets.shortHeader(cid, "d"));
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        Object[] packets = new Object[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            expected.writeBytes(batch.get(i));
            packets[i] = new DatagramPacket(Unpooled.wrappedBuffer(batch.get(i)), LISTENER, CLIENT);
        }
        // EmbeddedChannel reads all of them, then completes the read: one batch, as one recvmmsg would be.
        listener.writeInbound(packets);
        EmbeddedChannel port = ports.get(0);
        SegmentedDatagramPacket run = port.readOutbound();
        assertEquals(batch.get(0).length, run.segmentSize());
        assertEquals(A, run.recipient());
        assertArrayEquals(expected.toByteArray(), ByteBufUtil.getBytes(run.content()));
        run.release();
        assertNull(port.readOutbound(), "one send for the whole run");
        assertEquals(1, worker.counters().get(ForwarderCounter.GSO_SENDS));
        assertEquals(4, worker.counters().get(ForwarderCounter.ROUTED_BY_CID));

        // A batch of one goes out as the datagram's own buffer; a longer datagram starts a new run.
        byte[] lone = QuicPackets.shortHeader(cid, "e");
        listener.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(lone), LISTENER, CLIENT));
        assertPayloads(port, lone);
        byte[] shortOne = QuicPackets.shortHeader(cid, "f");
        byte[] longOne = QuicPackets.shortHeader(cid, "ggg");
        listener.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(shortOne), LISTENER, CLIENT),
                new DatagramPacket(Unpooled.wrappedBuffer(longOne), LISTENER, CLIENT));
        assertPayloads(port, shortOne, longOne);
        assertEquals(1, worker.counters().get(ForwarderCounter.GSO_SENDS));
    }

    @Test
    void shouldResendABatchTheDeviceRefusedOneByOneAndStopUsingGsoOnTheWorker() {
        // What the kernel answers a UDP_SEGMENT send on a device that cannot segment: EIO.
        refuseGsoWith(-5);
        worker.setGso(true);
        byte[] cid = cid("0a01");
        listener.writeInbound(packets(cid, "a1", "a2", "a3"));
        EmbeddedChannel port = ports.get(0);
        port.runPendingTasks();
        assertPayloads(port, QuicPackets.shortHeader(cid, "a1"), QuicPackets.shortHeader(cid, "a2"),
                QuicPackets.shortHeader(cid, "a3"));
        assertEquals(1, worker.counters().get(ForwarderCounter.GSO_REFUSED));
        assertEquals(0, worker.counters().get(ForwarderCounter.DROPPED_SEND_FAILED));
        // From now on this worker sends datagram by datagram, to every target.
        byte[] other = cid("0b02");
        listener.writeInbound(packets(other, "b1", "b2"));
        assertPayloads(port, QuicPackets.shortHeader(other, "b1"), QuicPackets.shortHeader(other, "b2"));
        assertEquals(1, worker.counters().get(ForwarderCounter.GSO_SENDS), "only the refused one");
    }

    @Test
    void shouldResendABatchThePathRefusedOneByOneAndStopUsingGsoForThatTargetOnly() {
        // EMSGSIZE: the path to this target cannot take the segment size (a smaller MTU). EINVAL is handled alike.
        refuseGsoWith(-90, A);
        worker.setGso(true);
        byte[] toA = cid("0a01");
        listener.writeInbound(packets(toA, "a1", "a2"));
        EmbeddedChannel port = ports.get(0);
        port.runPendingTasks();
        assertPayloads(port, QuicPackets.shortHeader(toA, "a1"), QuicPackets.shortHeader(toA, "a2"));
        assertEquals(1, worker.counters().get(ForwarderCounter.GSO_REFUSED));
        // Target b still gets GSO sends; target a gets one datagram per send.
        listener.writeInbound(packets(cid("0b02"), "b1", "b2"));
        SegmentedDatagramPacket run = port.readOutbound();
        assertEquals(B, run.recipient());
        run.release();
        listener.writeInbound(packets(toA, "a3", "a4"));
        assertPayloads(port, QuicPackets.shortHeader(toA, "a3"), QuicPackets.shortHeader(toA, "a4"));
        assertEquals(1, worker.counters().get(ForwarderCounter.GSO_REFUSED));
        assertEquals(0, worker.counters().get(ForwarderCounter.DROPPED_SEND_FAILED));
    }

    @Test
    void shouldCountTheDatagramsOfAGsoSendThatFailedForAnotherReason() {
        refuseGsoWith(-105); // ENOBUFS: not the batch's shape; the datagrams are lost, as any send could be.
        worker.setGso(true);
        listener.writeInbound(packets(cid("0a01"), "a1", "a2", "a3"));
        ports.get(0).runPendingTasks();
        assertNull(ports.get(0).readOutbound());
        assertEquals(3, worker.counters().get(ForwarderCounter.DROPPED_SEND_FAILED));
        assertEquals(0, worker.counters().get(ForwarderCounter.GSO_REFUSED));
    }

    @Test
    void shouldSplitAGroReceiveIntoTheDatagramsTheClientSent() {
        byte[] cid = cid("0a01");
        List<byte[]> sent = List.of(QuicPackets.shortHeader(cid, "g1"), QuicPackets.shortHeader(cid, "g2"),
                QuicPackets.shortHeader(cid, "g"));
        java.io.ByteArrayOutputStream coalesced = new java.io.ByteArrayOutputStream();
        sent.forEach(coalesced::writeBytes);
        // What a UDP GRO receive delivers: one buffer, and the size of every datagram in it but the last.
        listener.writeInbound(new SegmentedDatagramPacket(Unpooled.wrappedBuffer(coalesced.toByteArray()),
                sent.get(0).length, LISTENER, CLIENT));
        assertPayloads(ports.get(0), sent.toArray(new byte[0][]));
        assertEquals(3, worker.counters().get(ForwarderCounter.RECEIVED));
        assertEquals(3, worker.counters().get(ForwarderCounter.ROUTED_BY_CID));
    }

    private Worker reset(long maxFlows, long maxHandshakes, long unconfirmedIdleNanos) {
        listener.pipeline().removeFirst();
        return newWorker(maxFlows, maxHandshakes, unconfirmedIdleNanos);
    }

    private void refuseGsoWith(int negativeErrno, InetSocketAddress... onlyTo) {
        portInterceptors.add(new ChannelOutboundHandlerAdapter() {
            @Override
            public boolean isSharable() {
                return true;
            }

            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                if (msg instanceof SegmentedDatagramPacket run
                        && (onlyTo.length == 0 || List.of(onlyTo).contains(run.recipient()))) {
                    ReferenceCountUtil.release(msg);
                    promise.setFailure(new Errors.NativeIoException("sendmmsg", negativeErrno));
                } else {
                    ctx.write(msg, promise);
                }
            }
        });
        // Netty's native errno exception needs the native library that epoll loads.
        io.netty.channel.epoll.Epoll.ensureAvailability();
    }

    private void send(InetSocketAddress client, byte[] cid, String payload) {
        send(client, QuicPackets.shortHeader(cid, payload));
    }

    private void send(InetSocketAddress client, byte[] datagram) {
        listener.writeInbound(packet(client, datagram));
    }

    private static DatagramPacket packet(InetSocketAddress client, byte[] datagram) {
        return new DatagramPacket(Unpooled.wrappedBuffer(datagram), LISTENER, client);
    }

    private void drainOutbound() {
        for (EmbeddedChannel port : ports) {
            Object message;
            while ((message = port.readOutbound()) != null) {
                ReferenceCountUtil.release(message);
            }
        }
    }

    private static void assertPayloads(EmbeddedChannel port, byte[]... expected) {
        for (byte[] datagram : expected) {
            DatagramPacket sent = port.readOutbound();
            assertArrayEquals(datagram, ByteBufUtil.getBytes(sent.content()));
            sent.release();
        }
        assertNull(port.readOutbound());
    }

    private static Object[] packets(byte[] cid, String... payloads) {
        Object[] packets = new Object[payloads.length];
        for (int i = 0; i < payloads.length; i++) {
            packets[i] = new DatagramPacket(Unpooled.wrappedBuffer(QuicPackets.shortHeader(cid, payloads[i])), LISTENER,
                    CLIENT);
        }
        return packets;
    }

    private static byte[] cid(String serverId) {
        return new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex(serverId), 0).nextConnectionId();
    }
}
