package io.quiclb.appliance.forward;

import static io.quiclb.appliance.forward.ForwarderFixture.await;
import static io.quiclb.appliance.forward.ForwarderFixture.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.net.DatagramPacket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Routing through the real forwarder on loopback, on every transport this machine has. */
class ForwarderRoutingTest {
    private static final String KEY = "8f95f09245765f80256934e50c66207f";
    private static final List<LbConfigEntry> ALGORITHMS = List.of(
            new LbConfigEntry(0, 2, 6, 0, null, true),                       // plaintext
            new LbConfigEntry(1, 8, 8, 0, AesKeyHex.parse(KEY), true),      // single pass
            new LbConfigEntry(2, 3, 4, 0, AesKeyHex.parse(KEY), true));     // four pass

    private static final java.util.regex.Pattern MARKER =
            java.util.regex.Pattern.compile("(PLAINTEXT|SINGLE_PASS|FOUR_PASS)-[ab]-\\d+$");

    static Stream<TransportKind> transports() {
        return Transport.available().stream();
    }

    @ParameterizedTest
    @MethodSource("transports")
    void shouldRouteEveryAlgorithmByTheDecodedServerId(TransportKind transport) throws Exception {
        try (UdpBackend a = new UdpBackend("a"); UdpBackend b = new UdpBackend("b");
             ForwarderFixture fixture = ForwarderFixture.start(transport, ALGORITHMS, List.of(
                     server("a", a, Map.of(0, "0a01", 1, "a1a1a1a1a1a1a1a1", 2, "0000a1")),
                     server("b", b, Map.of(0, "0b02", 1, "b2b2b2b2b2b2b2b2", 2, "0000b2"))))) {
            UdpClient client = fixture.client();
            Map<UdpBackend, Set<String>> expected = new HashMap<>();
            for (LbConfigEntry entry : ALGORITHMS) {
                QuicLbConfig config = entry.toQuicLbConfig();
                for (UdpBackend backend : List.of(a, b)) {
                    String sid = backend == a ? List.of("0a01", "a1a1a1a1a1a1a1a1", "0000a1").get(config.configId())
                            : List.of("0b02", "b2b2b2b2b2b2b2b2", "0000b2").get(config.configId());
                    CidEncoder encoder = new CidEncoder(config, ServerId.fromHex(sid), 0);
                    for (int i = 0; i < 20; i++) {
                        String text = config.algorithm() + "-" + backend.name + "-" + i;
                        client.send(QuicPackets.shortHeader(encoder.nextConnectionId(), text));
                        expected.computeIfAbsent(backend, k -> new HashSet<>()).add(text);
                    }
                }
            }
            for (UdpBackend backend : List.of(a, b)) {
                Set<String> got = new HashSet<>();
                for (int i = 0; i < 60; i++) {
                    UdpBackend.Received received = backend.poll(5_000);
                    assertNotNull(received, backend.name + " got only " + got.size() + ": " + fixture.describe());
                    java.util.regex.Matcher text = MARKER.matcher(
                            new String(received.payload(), StandardCharsets.ISO_8859_1));
                    assertTrue(text.find());
                    got.add(text.group());
                }
                assertEquals(expected.get(backend), got);
                assertNull(backend.poll(100));
            }
            assertEquals(120, fixture.forwarder.total(ForwarderCounter.ROUTED_BY_CID));
            for (int configId = 0; configId < 3; configId++) {
                assertEquals(40, fixture.forwarder.routedByConfig(configId));
            }
            assertEquals(0, fixture.unaccounted());
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void shouldRouteToTheSocketOfTheThreadNamedInTheCid(TransportKind transport) throws Exception {
        LbConfigEntry entry = new LbConfigEntry(0, 2, 6, 1, AesKeyHex.parse(KEY), true);
        try (UdpBackend host = new UdpBackend("host"); UdpBackend thread0 = new UdpBackend("t0");
             UdpBackend thread1 = new UdpBackend("t1");
             ForwarderFixture fixture = ForwarderFixture.start(transport, List.of(entry),
                     List.of(server("s1", host, Map.of(0, "0a01"), thread0, thread1)))) {
            UdpClient client = fixture.client();
            QuicLbConfig config = entry.toQuicLbConfig();
            // Thread 2 has no socket: its datagrams go to the server's own address.
            for (int threadId = 0; threadId < 3; threadId++) {
                CidEncoder encoder = new CidEncoder(config, ServerId.fromHex("0a01"), threadId);
                for (int i = 0; i < 10; i++) {
                    client.send(QuicPackets.shortHeader(encoder.nextConnectionId(), "thread-" + threadId));
                }
            }
            assertTrue(await(() -> thread0.count() == 10 && thread1.count() == 10 && host.count() == 10),
                    "t0=" + thread0.count() + " t1=" + thread1.count() + " host=" + host.count());
            assertTrue(new String(thread1.poll(1000).payload(), StandardCharsets.US_ASCII).endsWith("thread-1"));
            assertTrue(new String(host.poll(1000).payload(), StandardCharsets.US_ASCII).endsWith("thread-2"));
            assertEquals(20, fixture.forwarder.total(ForwarderCounter.ROUTED_TO_THREAD));
            assertEquals(10, fixture.forwarder.total(ForwarderCounter.ROUTED_BY_CID));
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void shouldKeepRebindingAndMigratingClientsOnTheirServer(TransportKind transport) throws Exception {
        LbConfigEntry entry = new LbConfigEntry(0, 2, 6, 0, AesKeyHex.parse(KEY), true);
        try (UdpBackend a = new UdpBackend("a"); UdpBackend b = new UdpBackend("b");
             ForwarderFixture fixture = ForwarderFixture.start(transport, List.of(entry),
                     List.of(server("a", a, Map.of(0, "0a01")), server("b", b, Map.of(0, "0b02"))))) {
            CidEncoder serverB = new CidEncoder(entry.toQuicLbConfig(), ServerId.fromHex("0b02"), 0);
            byte[] cid = serverB.nextConnectionId();
            UdpClient before = fixture.client();
            before.send(QuicPackets.shortHeader(cid, "before"));
            UdpBackend.Received first = b.poll(5_000);
            assertNotNull(first);
            // NAT rebinding: the same CID from a new port.
            UdpClient rebound = fixture.client();
            rebound.send(QuicPackets.shortHeader(cid, "rebound"));
            UdpBackend.Received second = b.poll(5_000);
            assertNotNull(second);
            // Migration: a new CID the server issued, from yet another port.
            UdpClient migrated = fixture.client();
            migrated.send(QuicPackets.shortHeader(serverB.nextConnectionId(), "migrated"));
            UdpBackend.Received third = b.poll(5_000);
            assertNotNull(third);
            assertTrue(new String(third.payload(), StandardCharsets.US_ASCII).endsWith("migrated"));
            // Each client 4-tuple is its own NAT flow with its own upstream port.
            assertEquals(3, Set.of(first.sender(), second.sender(), third.sender()).size());
            assertEquals(0, a.count());
            assertEquals(3, fixture.forwarder.flows());
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void shouldKeepEachFirstFlightOnOneServerWhileServersComeAndGo(TransportKind transport) throws Exception {
        LbConfigEntry entry = new LbConfigEntry(0, 2, 6, 0, AesKeyHex.parse(KEY), true);
        List<UdpBackend> backends = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                backends.add(new UdpBackend("s" + i));
            }
            List<ServerEntry> initial = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                initial.add(server("s" + i, backends.get(i), Map.of(0, "0a0" + i)));
            }
            try (ForwarderFixture fixture = ForwarderFixture.start(transport, List.of(entry), initial)) {
                SplittableRandom random = new SplittableRandom(3);
                int clients = 40;
                List<UdpClient> sockets = new ArrayList<>();
                List<byte[]> dcids = new ArrayList<>();
                List<byte[]> scids = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    sockets.add(fixture.client());
                    // Client-chosen DCIDs of 8..20 octets; config ID 7 or unknown configs are both unroutable.
                    byte[] dcid = new byte[8 + random.nextInt(13)];
                    random.nextBytes(dcid);
                    dcid[0] = (byte) (0xe0 | (dcid[0] & 0x1f));
                    dcids.add(dcid);
                    byte[] scid = new byte[8];
                    random.nextBytes(scid);
                    scids.add(scid);
                    sockets.get(c).send(QuicPackets.longHeader(dcid, scid, "client-" + c + "-initial"));
                }
                Map<Integer, String> firstServer = collectByClient(backends, clients);
                assertEquals(clients, firstServer.size());
                assertEquals(clients, fixture.forwarder.total(ForwarderCounter.ROUTED_BY_FALLBACK));

                // Add s3..s5 and remove s2: decisions for clients on s0 and s1 must hold.
                List<ServerEntry> changed = new ArrayList<>(initial.subList(0, 2));
                for (int i = 3; i < 6; i++) {
                    changed.add(server("s" + i, backends.get(i), Map.of(0, "0a0" + i)));
                }
                fixture.routing.publish(new QuicLbSettings(List.of(entry)), changed);
                int kept = 0;
                for (int c = 0; c < clients; c++) {
                    if (!firstServer.get(c).equals("s2")) {
                        sockets.get(c).send(QuicPackets.longHeader(dcids.get(c), scids.get(c), "client-" + c + "-again"));
                        kept++;
                    }
                }
                Map<Integer, String> secondServer = collectByClient(backends, kept);
                for (Map.Entry<Integer, String> second : secondServer.entrySet()) {
                    assertEquals(firstServer.get(second.getKey()), second.getValue(), "client " + second.getKey());
                }
                assertEquals(kept, fixture.forwarder.total(ForwarderCounter.ROUTED_BY_TABLE));
                assertTrue(kept > 0 && kept < clients, "some clients were on s2: kept=" + kept);
            }
        } finally {
            for (UdpBackend backend : backends) {
                backend.close();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void shouldRelayRepliesToTheRightClientFromTheListenerAddress(TransportKind transport) throws Exception {
        LbConfigEntry entry = new LbConfigEntry(0, 2, 6, 0, null, true);
        try (UdpBackend a = new UdpBackend("a").echoing();
             ForwarderFixture fixture = ForwarderFixture.start(transport, List.of(entry),
                     List.of(server("a", a, Map.of(0, "0a01"))))) {
            CidEncoder encoder = new CidEncoder(entry.toQuicLbConfig(), ServerId.fromHex("0a01"), 0);
            UdpClient one = fixture.client();
            UdpClient two = fixture.client();
            for (int i = 0; i < 5; i++) {
                one.send(QuicPackets.shortHeader(encoder.nextConnectionId(), "one-" + i));
                two.send(QuicPackets.shortHeader(encoder.nextConnectionId(), "two-" + i));
            }
            for (int i = 0; i < 5; i++) {
                DatagramPacket reply = one.receive(5_000);
                assertNotNull(reply, "reply " + i + " for client one");
                assertEquals(fixture.address, reply.getSocketAddress());
                String text = new String(reply.getData(), StandardCharsets.US_ASCII);
                assertTrue(text.startsWith("a:") && text.contains("one-"), text);
                DatagramPacket other = two.receive(5_000);
                assertNotNull(other);
                assertTrue(new String(other.getData(), StandardCharsets.US_ASCII).contains("two-"));
            }
            assertTrue(await(() -> fixture.forwarder.total(ForwarderCounter.REPLIES) == 10));
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void shouldRouteUnroutableShortHeadersByTheFallbackAndCountWhy(TransportKind transport) throws Exception {
        // draft-21 §4.2 steps 3 to 5 for every packet: a short header that no table knows goes by the fallback,
        // whatever made it unroutable; only what cannot be parsed is dropped.
        LbConfigEntry entry = new LbConfigEntry(0, 2, 6, 0, null, true);
        try (UdpBackend a = new UdpBackend("a");
             ForwarderFixture fixture = ForwarderFixture.start(transport, List.of(entry),
                     List.of(server("a", a, Map.of(0, "0a01"))))) {
            fixture.client().send(new byte[0]);
            fixture.client().send(QuicPackets.shortHeader(Hex.decode("cid", "e7aabbccddeeff00"), "config 7"));
            fixture.client().send(QuicPackets.shortHeader(Hex.decode("cid", "27aabbccddeeff00"), "config 1 unknown"));
            fixture.client().send(QuicPackets.shortHeader(Hex.decode("cid", "070b02ccddeeff00"), "sid 0b02 unknown"));
            fixture.client().send(new byte[] {0x43, 0x07, 0x0a});
            byte[] longDcid = QuicPackets.longHeader(new byte[21], new byte[0], "v1 allows 20 octets");
            fixture.client().send(longDcid);
            byte[] unknownVersion = longDcid.clone();
            unknownVersion[4] = 0x2a;
            fixture.client().send(unknownVersion);
            assertTrue(await(() -> fixture.forwarder.total(ForwarderCounter.RECEIVED) == 7));
            assertEquals(1, fixture.forwarder.total(ForwarderCounter.DROPPED_TOO_SHORT), fixture.describe());
            assertEquals(1, fixture.forwarder.total(ForwarderCounter.DROPPED_DCID_TOO_LONG), fixture.describe());
            assertEquals(5, fixture.forwarder.total(ForwarderCounter.ROUTED_BY_FALLBACK), fixture.describe());
            for (ForwarderCounter why : List.of(ForwarderCounter.UNROUTABLE_SHORT_CONFIG_ID_7,
                    ForwarderCounter.UNROUTABLE_SHORT_UNKNOWN_CONFIG, ForwarderCounter.UNROUTABLE_SHORT_NO_SERVER_FOR_SID,
                    ForwarderCounter.UNROUTABLE_SHORT_CID_TOO_SHORT, ForwarderCounter.UNKNOWN_VERSION)) {
                assertEquals(1, fixture.forwarder.total(why), why + ": " + fixture.describe());
            }
            assertEquals(0, fixture.unaccounted());
            assertTrue(await(() -> a.count() == 5), "a got " + a.count());
        }
    }

    private static Map<Integer, String> collectByClient(List<UdpBackend> backends, int expected)
            throws InterruptedException {
        Map<Integer, String> byClient = new HashMap<>();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (byClient.size() < expected && System.nanoTime() < deadline) {
            for (UdpBackend backend : backends) {
                UdpBackend.Received received = backend.poll(5);
                if (received != null) {
                    String text = new String(received.payload(), StandardCharsets.US_ASCII);
                    int start = text.indexOf("client-");
                    int client = Integer.parseInt(text.substring(start + 7, text.indexOf('-', start + 7)));
                    assertNull(byClient.put(client, backend.name), "client " + client + " twice");
                }
            }
        }
        assertNotEquals(0, byClient.size());
        return byClient;
    }

}
