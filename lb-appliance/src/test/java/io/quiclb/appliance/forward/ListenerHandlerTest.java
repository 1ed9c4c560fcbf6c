package io.quiclb.appliance.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.ServerId;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The listener handler and its worker on {@link EmbeddedChannel}s: no sockets, every buffer accounted for. */
class ListenerHandlerTest {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 6, 0, null, true);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private static final InetSocketAddress LISTENER = new InetSocketAddress("127.0.0.1", 4433);

    private final RoutingService routing = new RoutingService(1, new QuicLbSettings(List.of(CONFIG)),
            List.of(new ServerEntry("a", HostPort.parse("127.0.0.1:5001"), Map.of(0, "0a01"), List.of())));
    private final Map<InetSocketAddress, EmbeddedChannel> upstreams = new HashMap<>();
    private final EmbeddedChannel listener = new EmbeddedChannel();
    private final Worker worker = new Worker(0, listener.eventLoop(), (target, handler) -> {
        EmbeddedChannel upstream = new EmbeddedChannel(handler);
        upstreams.put(target, upstream);
        return upstream.newSucceededFuture();
    }, routing, new AtomicLong(), 10, 10, 2048);

    ListenerHandlerTest() {
        listener.pipeline().addLast(new ListenerHandler(worker, 0));
        worker.setListeners(new Channel[] {listener});
    }

    @AfterEach
    void noBufferLeftBehind() {
        assertFalse(listener.finishAndReleaseAll());
        for (EmbeddedChannel upstream : upstreams.values()) {
            assertFalse(upstream.finishAndReleaseAll());
        }
    }

    @Test
    void shouldForwardTheDatagramBufferAndRelayTheReply() {
        byte[] datagram = QuicPackets.shortHeader(cid(), "hello");
        listener.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(datagram), LISTENER, CLIENT));
        EmbeddedChannel upstream = upstreams.get(new InetSocketAddress("127.0.0.1", 5001));
        ByteBuf forwarded = upstream.readOutbound();
        assertArrayEquals(datagram, ByteBufUtil.getBytes(forwarded));
        forwarded.release();

        upstream.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}), CLIENT,
                new InetSocketAddress("127.0.0.1", 5001)));
        DatagramPacket reply = listener.readOutbound();
        assertEquals(CLIENT, reply.recipient());
        assertArrayEquals(new byte[] {1, 2, 3}, ByteBufUtil.getBytes(reply.content()));
        reply.release();
        assertEquals(1, worker.counters().get(ForwarderCounter.ROUTED_BY_CID));
        assertEquals(1, worker.counters().get(ForwarderCounter.REPLIES));
    }

    @Test
    void shouldReleaseWhatItDrops() {
        ByteBuf garbage = Unpooled.wrappedBuffer(new byte[] {0x43, (byte) 0xe7, 1, 2});
        listener.writeInbound(new DatagramPacket(garbage, LISTENER, CLIENT));
        assertEquals(0, garbage.refCnt());
        assertEquals(1, worker.counters().get(ForwarderCounter.DROPPED_CONFIG_ID_7));
        assertNull(listener.readOutbound());
    }

    @Test
    void shouldQueueUntilTheUpstreamConnectsThenSendInOrder() {
        io.netty.channel.ChannelPromise[] connect = new io.netty.channel.ChannelPromise[1];
        EmbeddedChannel slowListener = new EmbeddedChannel();
        EmbeddedChannel slowUpstream = new EmbeddedChannel();
        Worker slow = new Worker(0, slowListener.eventLoop(), (target, handler) -> {
            slowUpstream.pipeline().addLast(handler);
            connect[0] = slowUpstream.newPromise();
            return connect[0];
        }, routing, new AtomicLong(), 10, 10, 2048);
        slowListener.pipeline().addLast(new ListenerHandler(slow, 0));
        slow.setListeners(new Channel[] {slowListener});
        for (int i = 0; i < 3; i++) {
            slowListener.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(
                    QuicPackets.shortHeader(cid(), "n" + i)), LISTENER, CLIENT));
        }
        assertNull(slowUpstream.readOutbound());
        connect[0].setSuccess();
        for (int i = 0; i < 3; i++) {
            ByteBuf sent = slowUpstream.readOutbound();
            assertEquals("n" + i, QuicPackets.shortPayload(ByteBufUtil.getBytes(sent), 9));
            sent.release();
        }
        assertFalse(slowListener.finishAndReleaseAll());
        assertFalse(slowUpstream.finishAndReleaseAll());
    }

    @Test
    void shouldSendAFlowsDatagramsOfOneReadBatchAsOneGsoSend() {
        worker.setGso(true);
        byte[] cid = cid();
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
        EmbeddedChannel upstream = upstreams.get(new InetSocketAddress("127.0.0.1", 5001));
        SegmentedDatagramPacket run = upstream.readOutbound();
        assertEquals(batch.get(0).length, run.segmentSize());
        assertEquals(new InetSocketAddress("127.0.0.1", 5001), run.recipient());
        assertArrayEquals(expected.toByteArray(), ByteBufUtil.getBytes(run.content()));
        run.release();
        assertNull(upstream.readOutbound(), "one send for the whole run");
        assertEquals(1, worker.counters().get(ForwarderCounter.GSO_SENDS));
        assertEquals(4, worker.counters().get(ForwarderCounter.ROUTED_BY_CID));

        // A batch of one goes out as the datagram's own buffer; a longer datagram starts a new run.
        byte[] lone = QuicPackets.shortHeader(cid, "e");
        listener.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(lone), LISTENER, CLIENT));
        ByteBuf single = upstream.readOutbound();
        assertArrayEquals(lone, ByteBufUtil.getBytes(single));
        single.release();
        byte[] shortOne = QuicPackets.shortHeader(cid, "f");
        byte[] longOne = QuicPackets.shortHeader(cid, "ggg");
        listener.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(shortOne), LISTENER, CLIENT),
                new DatagramPacket(Unpooled.wrappedBuffer(longOne), LISTENER, CLIENT));
        ByteBuf first = upstream.readOutbound();
        ByteBuf second = upstream.readOutbound();
        assertArrayEquals(shortOne, ByteBufUtil.getBytes(first));
        assertArrayEquals(longOne, ByteBufUtil.getBytes(second));
        first.release();
        second.release();
        assertEquals(1, worker.counters().get(ForwarderCounter.GSO_SENDS));
    }

    @Test
    void shouldCountAFailedGsoSendsDatagramsAndStopUsingGsoWhenTheKernelRefusesIt() {
        // Netty's native errno exception needs the native library that epoll loads.
        io.netty.channel.epoll.Epoll.ensureAvailability();
        worker.setGso(true);
        byte[] cid = cid();
        listener.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(QuicPackets.shortHeader(cid, "x")), LISTENER,
                CLIENT));
        EmbeddedChannel upstream = upstreams.get(new InetSocketAddress("127.0.0.1", 5001));
        ((ByteBuf) upstream.readOutbound()).release();
        // What the kernel answers a UDP_SEGMENT send on a path that cannot segment: EIO.
        upstream.pipeline().addFirst(new io.netty.channel.ChannelOutboundHandlerAdapter() {
            @Override
            public void write(io.netty.channel.ChannelHandlerContext ctx, Object msg,
                              io.netty.channel.ChannelPromise promise) {
                if (msg instanceof SegmentedDatagramPacket) {
                    io.netty.util.ReferenceCountUtil.release(msg);
                    promise.setFailure(new io.netty.channel.unix.Errors.NativeIoException("sendmmsg", -5));
                } else {
                    ctx.write(msg, promise);
                }
            }
        });
        listener.writeInbound(packets(cid, "a1", "a2", "a3"));
        assertNull(upstream.readOutbound());
        assertEquals(3, worker.counters().get(ForwarderCounter.DROPPED_SEND_FAILED));
        // From now on this worker sends datagram by datagram.
        listener.writeInbound(packets(cid, "b1", "b2"));
        for (String payload : List.of("b1", "b2")) {
            ByteBuf sent = upstream.readOutbound();
            assertEquals(payload, QuicPackets.shortPayload(ByteBufUtil.getBytes(sent), 9));
            sent.release();
        }
        assertEquals(3, worker.counters().get(ForwarderCounter.DROPPED_SEND_FAILED));
    }

    @Test
    void shouldSplitAGroReceiveIntoTheDatagramsTheClientSent() {
        byte[] cid = cid();
        List<byte[]> sent = List.of(QuicPackets.shortHeader(cid, "g1"), QuicPackets.shortHeader(cid, "g2"),
                QuicPackets.shortHeader(cid, "g"));
        java.io.ByteArrayOutputStream coalesced = new java.io.ByteArrayOutputStream();
        sent.forEach(coalesced::writeBytes);
        // What a UDP GRO receive delivers: one buffer, and the size of every datagram in it but the last.
        listener.writeInbound(new SegmentedDatagramPacket(Unpooled.wrappedBuffer(coalesced.toByteArray()),
                sent.get(0).length, LISTENER, CLIENT));
        EmbeddedChannel upstream = upstreams.get(new InetSocketAddress("127.0.0.1", 5001));
        for (byte[] datagram : sent) {
            ByteBuf forwarded = upstream.readOutbound();
            assertArrayEquals(datagram, ByteBufUtil.getBytes(forwarded));
            forwarded.release();
        }
        assertNull(upstream.readOutbound());
        assertEquals(3, worker.counters().get(ForwarderCounter.RECEIVED));
        assertEquals(3, worker.counters().get(ForwarderCounter.ROUTED_BY_CID));
    }

    private static Object[] packets(byte[] cid, String... payloads) {
        Object[] packets = new Object[payloads.length];
        for (int i = 0; i < payloads.length; i++) {
            packets[i] = new DatagramPacket(Unpooled.wrappedBuffer(QuicPackets.shortHeader(cid, payloads[i])), LISTENER,
                    CLIENT);
        }
        return packets;
    }

    private static byte[] cid() {
        return new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"), 0).nextConnectionId();
    }
}
