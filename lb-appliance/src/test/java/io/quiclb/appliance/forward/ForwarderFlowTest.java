package io.quiclb.appliance.forward;

import static io.quiclb.appliance.forward.ForwarderFixture.await;
import static io.quiclb.appliance.forward.ForwarderFixture.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.util.Duration;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.ServerId;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** NAT flow lifecycle and robustness against arbitrary datagrams, on every transport this machine has. */
class ForwarderFlowTest {
    private static final LbConfigEntry CONFIG =
            new LbConfigEntry(0, 2, 6, 0, AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);

    static Stream<TransportKind> transports() {
        return Transport.available().stream();
    }

    @ParameterizedTest
    @MethodSource("transports")
    void shouldCloseFlowsAfterTheIdleTimeoutAndReopenThem(TransportKind transport) throws Exception {
        try (UdpBackend a = new UdpBackend("a").echoing();
             ForwarderFixture fixture = new ForwarderFixture(transport, 2, Duration.seconds(1), 100, List.of(CONFIG),
                     List.of(server("a", a, Map.of(0, "0a01"))))) {
            CidEncoder encoder = new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"), 0);
            UdpClient client = fixture.client();
            confirm(client, encoder, a);
            assertEquals(1, fixture.forwarder.flows());
            assertTrue(await(() -> fixture.forwarder.flows() == 0), "flow never expired");
            assertEquals(1, fixture.forwarder.total(ForwarderCounter.FLOWS_EXPIRED));
            // The same sweep closes the flow, then the socket: read from this thread, the flow count can reach 0
            // a moment before the socket count does.
            assertTrue(await(() -> fixture.forwarder.upstreamSockets() == 0), "the idle upstream socket closes too: "
                    + fixture.forwarder.upstreamSockets() + " open");
            client.send(QuicPackets.shortHeader(encoder.nextConnectionId(), "again"));
            assertNotNull(a.poll(5_000));
            assertEquals(2, fixture.forwarder.total(ForwarderCounter.FLOWS_OPENED));
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void shouldDropNewFlowsPastTheLimitWhenNoneIsUnconfirmed(TransportKind transport) throws Exception {
        try (UdpBackend a = new UdpBackend("a").echoing();
             ForwarderFixture fixture = new ForwarderFixture(transport, 2, Duration.seconds(60), 2, List.of(CONFIG),
                     List.of(server("a", a, Map.of(0, "0a01"))))) {
            CidEncoder encoder = new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"), 0);
            UdpClient one = fixture.client();
            UdpClient two = fixture.client();
            UdpClient three = fixture.client();
            confirm(one, encoder, a);
            confirm(two, encoder, a);
            assertTrue(await(() -> fixture.forwarder.total(ForwarderCounter.FLOWS_CONFIRMED) == 2));
            three.send(QuicPackets.shortHeader(encoder.nextConnectionId(), "three"));
            assertTrue(await(() -> fixture.forwarder.total(ForwarderCounter.DROPPED_FLOW_LIMIT) == 1));
            assertNull(a.poll(200));
            one.send(QuicPackets.shortHeader(encoder.nextConnectionId(), "one-again"));
            assertNotNull(a.poll(5_000));
            assertEquals(2, fixture.forwarder.flows());
            assertEquals(0, fixture.unaccounted());
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void shouldEvictTheOldestUnconfirmedFlowForANewOneAndExpireTheRest(TransportKind transport) throws Exception {
        // The backend never answers, so no flow is confirmed: with the table full, a new client evicts the oldest.
        try (UdpBackend silent = new UdpBackend("a");
             ForwarderFixture fixture = new ForwarderFixture(transport, 1, Duration.seconds(60), 2, List.of(CONFIG),
                     List.of(server("a", silent, Map.of(0, "0a01"))))) {
            CidEncoder encoder = new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"), 0);
            for (int i = 0; i < 3; i++) {
                fixture.client().send(QuicPackets.shortHeader(encoder.nextConnectionId(), "c" + i));
                assertNotNull(silent.poll(5_000), "client " + i);
            }
            assertEquals(1, fixture.forwarder.total(ForwarderCounter.FLOWS_EVICTED));
            assertEquals(0, fixture.forwarder.total(ForwarderCounter.DROPPED_FLOW_LIMIT));
            assertEquals(2, fixture.forwarder.flows());
            assertEquals(2, fixture.forwarder.totalGauge(WorkerCounters.UNCONFIRMED_FLOWS));
        }
    }

    /** Sends, waits for the echo, sends again: the flow is confirmed. */
    private static void confirm(UdpClient client, CidEncoder encoder, UdpBackend backend) throws Exception {
        client.send(QuicPackets.shortHeader(encoder.nextConnectionId(), "hello"));
        assertNotNull(backend.poll(5_000));
        assertNotNull(client.receive(5_000), "the echo");
        client.send(QuicPackets.shortHeader(encoder.nextConnectionId(), "confirm"));
        assertNotNull(backend.poll(5_000));
    }

    @Test
    void shouldSendABurstOfOneFlowAsOneKernelGsoSendThatArrivesAsTheOriginalDatagrams() throws Exception {
        Assumptions.assumeTrue(Transport.available().contains(TransportKind.EPOLL)
                && Transport.select(TransportKind.EPOLL).supportsGso(), "epoll with UDP GSO");
        try (UdpBackend a = new UdpBackend("a");
             ForwarderFixture fixture = new ForwarderFixture(TransportKind.EPOLL, 1, Duration.seconds(60), 100,
                     List.of(CONFIG), List.of(server("a", a, Map.of(0, "0a01"))))) {
            CidEncoder encoder = new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"), 0);
            UdpClient client = fixture.client();
            client.send(QuicPackets.shortHeader(encoder.nextConnectionId(), "open"));
            assertNotNull(a.poll(5_000), "the flow is open");
            // Hold the worker so the burst waits in its listener socket and one read batch takes all of it.
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            fixture.forwarder.workerEventLoop(0).execute(() -> {
                held.countDown();
                try {
                    release.await(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(held.await(5, java.util.concurrent.TimeUnit.SECONDS));
            byte[] cid = encoder.nextConnectionId();
            List<String> burst = new java.util.ArrayList<>();
            for (int i = 0; i < 10; i++) {
                burst.add("burst-" + i);
            }
            burst.add("end"); // shorter: it closes the run
            for (String payload : burst) {
                client.send(QuicPackets.shortHeader(cid, payload));
            }
            release.countDown();
            for (String payload : burst) {
                UdpBackend.Received received = a.poll(5_000);
                assertNotNull(received, "datagram " + payload);
                assertEquals(payload, QuicPackets.shortPayload(received.payload(), 9), "in order and intact");
            }
            assertEquals(1, fixture.forwarder.total(ForwarderCounter.GSO_SENDS));
            assertNull(a.poll(200), "nothing more");
        }
    }

    @Test
    void shouldForwardEachDatagramOfAClientsGsoSendThatTheKernelCoalescedForTheListener() throws Exception {
        Assumptions.assumeTrue(Transport.available().contains(TransportKind.EPOLL)
                && Transport.select(TransportKind.EPOLL).supportsGso(), "epoll with UDP GSO and GRO");
        io.netty.channel.EventLoopGroup clientGroup = new io.netty.channel.MultiThreadIoEventLoopGroup(1,
                io.netty.channel.epoll.EpollIoHandler.newFactory());
        try (UdpBackend a = new UdpBackend("a");
             ForwarderFixture fixture = new ForwarderFixture(TransportKind.EPOLL, 1, Duration.seconds(60), 100,
                     List.of(CONFIG), List.of(server("a", a, Map.of(0, "0a01"))), true)) {
            // A client that sends like a QUIC stack with GSO: 12 datagrams in one UDP_SEGMENT send, which loopback
            // hands to the GRO-enabled listener as one coalesced receive.
            io.netty.channel.Channel client = new io.netty.bootstrap.Bootstrap().group(clientGroup)
                    .channel(io.netty.channel.epoll.EpollDatagramChannel.class)
                    .handler(new io.netty.channel.ChannelInboundHandlerAdapter())
                    .bind(new java.net.InetSocketAddress("127.0.0.1", 0)).sync().channel();
            try {
                byte[] cid = new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"), 0).nextConnectionId();
                List<String> payloads = new java.util.ArrayList<>();
                for (int i = 10; i < 21; i++) {
                    payloads.add("gro-" + i);
                }
                payloads.add("end");
                io.netty.buffer.ByteBuf all = io.netty.buffer.Unpooled.directBuffer();
                for (String payload : payloads) {
                    all.writeBytes(QuicPackets.shortHeader(cid, payload));
                }
                int segmentSize = QuicPackets.shortHeader(cid, payloads.get(0)).length;
                client.writeAndFlush(new io.netty.channel.unix.SegmentedDatagramPacket(all, segmentSize,
                        fixture.address)).sync();
                for (String payload : payloads) {
                    UdpBackend.Received received = a.poll(5_000);
                    assertNotNull(received, "datagram " + payload);
                    assertEquals(payload, QuicPackets.shortPayload(received.payload(), 9), "in order and intact");
                }
                assertNull(a.poll(200), "nothing more");
                assertEquals(payloads.size(), fixture.forwarder.total(ForwarderCounter.ROUTED_BY_CID));
            } finally {
                client.close().sync();
            }
        } finally {
            clientGroup.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void shouldCountOneMillionRandomAndMutatedDatagramsWithoutLeaking() throws Exception {
        fuzz(Transport.available().get(0), 1_000_000);
    }

    @ParameterizedTest
    @MethodSource("transports")
    void shouldCountRandomAndMutatedDatagramsWithoutLeaking(TransportKind transport) throws Exception {
        fuzz(transport, 100_000);
    }

    private static void fuzz(TransportKind transport, int datagrams) throws Exception {
        try (LeakCapture leaks = new LeakCapture()) {
            fuzzThroughForwarder(transport, datagrams);
            assertEquals(List.of(), leaks.leaks());
        }
    }

    private static void fuzzThroughForwarder(TransportKind transport, int datagrams) throws Exception {
        try (UdpBackend a = new UdpBackend("a"); UdpBackend b = new UdpBackend("b");
             ForwarderFixture fixture = ForwarderFixture.start(transport, List.of(CONFIG),
                     List.of(server("a", a, Map.of(0, "0a01")), server("b", b, Map.of(0, "0b02"))))) {
            SplittableRandom random = new SplittableRandom(datagrams);
            CidEncoder encoder = new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"), 0);
            byte[] validCid = encoder.nextConnectionId();
            // The first client sends everything; its long headers leave a 4-tuple entry that then routes its
            // unroutable short headers (draft-21 §4.2 step 4). The second sends only short headers: its first
            // unroutable one goes by the fallback (step 5), the 4-tuple table routes the rest.
            UdpClient client = fixture.client();
            UdpClient shortHeadersOnly = fixture.client();
            for (int sent = 0; sent < datagrams; ) {
                int batch = Math.min(2_000, datagrams - sent);
                for (int i = 0; i < batch; i++) {
                    if ((i & 1) == 0) {
                        client.send(fuzzed(random, random.nextInt(4), validCid));
                    } else {
                        shortHeadersOnly.send(fuzzed(random, random.nextBoolean() ? 1 : 3, validCid));
                    }
                }
                sent += batch;
                final long expected = sent;
                // Pace the sender so the kernel never drops: every datagram must reach the forwarder's counters.
                assertTrue(await(() -> fixture.forwarder.total(ForwarderCounter.RECEIVED) == expected),
                        "received " + fixture.forwarder.total(ForwarderCounter.RECEIVED) + " of " + expected);
            }
            assertEquals(0, fixture.unaccounted(), fixture.describe());
            assertEquals(0, fixture.forwarder.total(ForwarderCounter.DROPPED_SEND_FAILED), fixture.describe());
            long routed = fixture.forwarder.total(ForwarderCounter.ROUTED_BY_CID)
                    + fixture.forwarder.total(ForwarderCounter.ROUTED_BY_TABLE)
                    + fixture.forwarder.total(ForwarderCounter.ROUTED_BY_FALLBACK);
            assertTrue(routed > datagrams / 10, fixture.describe());
            assertTrue(await(() -> a.count() + b.count() == routed),
                    "backends got " + (a.count() + b.count()) + " of " + routed + " routed");
            for (ForwarderCounter counter : List.of(ForwarderCounter.DROPPED_TOO_SHORT,
                    ForwarderCounter.DROPPED_DCID_TOO_LONG, ForwarderCounter.DROPPED_BAD_HEADER,
                    ForwarderCounter.UNROUTABLE_SHORT_UNKNOWN_CONFIG,
                    ForwarderCounter.UNROUTABLE_SHORT_NO_SERVER_FOR_SID)) {
                assertTrue(fixture.forwarder.total(counter) > 0, counter + " never seen: " + fixture.describe());
            }
        }
    }

    /** A quarter each: random octets; mutated valid short headers; random long headers; truncated valid ones. */
    private static byte[] fuzzed(SplittableRandom random, int kind, byte[] validCid) {
        byte[] datagram;
        if (kind == 0) {
            datagram = new byte[random.nextInt(0, 1300)];
            random.nextBytes(datagram);
        } else if (kind == 1) {
            datagram = QuicPackets.shortHeader(validCid, "payload-" + random.nextInt());
            for (int flips = random.nextInt(1, 4); flips > 0; flips--) {
                datagram[random.nextInt(datagram.length)] ^= (byte) (1 << random.nextInt(8));
            }
            datagram[0] &= 0x7f; // stays a short header

        } else if (kind == 2) {
            byte[] dcid = new byte[random.nextInt(0, 26)];
            byte[] scid = new byte[random.nextInt(0, 26)];
            random.nextBytes(dcid);
            random.nextBytes(scid);
            datagram = QuicPackets.longHeader(new byte[Math.min(dcid.length, 20)], scid, "initial");
            System.arraycopy(dcid, 0, datagram, 6, Math.min(dcid.length, 20));
            datagram[5] = (byte) dcid.length;
            datagram = java.util.Arrays.copyOf(datagram, random.nextInt(1, datagram.length + 1));
        } else {
            byte[] full = QuicPackets.shortHeader(validCid, "truncated");
            datagram = java.util.Arrays.copyOf(full, random.nextInt(0, full.length + 1));
        }
        return datagram;
    }
}
