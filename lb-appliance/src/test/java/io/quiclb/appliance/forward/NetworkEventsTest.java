package io.quiclb.appliance.forward;

import static io.quiclb.appliance.forward.ForwarderFixture.await;
import static io.quiclb.appliance.forward.ForwarderFixture.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.util.Duration;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.appliance.decision.DecisionTables;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.Hex;
import io.quiclb.codec.ServerId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The network events of issue 10 on real loopback sockets: a client's port that changes during its first flight
 * while several workers listen, server-issued unroutable CIDs after a NAT rebinding, a client's stateless reset on
 * a connection routed by CID, and long headers of unknown versions with long connection IDs.
 */
class NetworkEventsTest {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 6, 0, null, true);

    static Stream<TransportKind> transports() {
        return Transport.available().stream();
    }

    /** Transports whose workers each listen (SO_REUSEPORT): NIO has only the first worker listen. */
    static Stream<TransportKind> reusePortTransports() {
        return Transport.available().stream().filter(kind -> kind != TransportKind.NIO);
    }

    @ParameterizedTest
    @MethodSource("reusePortTransports")
    void shouldKeepFirstFlightsThatRebindOnOneServerWhicheverWorkerTheKernelPicks(TransportKind transport)
            throws Exception {
        // draft-21 §4.2: the same unroutable DCID and SCID from a new port must reach the server the first packet
        // reached. With 4 workers the kernel's SO_REUSEPORT hash hands the new 4-tuple to another worker 3 times in 4.
        List<UdpBackend> backends = List.of(new UdpBackend("a"), new UdpBackend("b"), new UdpBackend("c"));
        try (ForwarderFixture fixture = new ForwarderFixture(transport, 4, Duration.seconds(60), 10_000,
                List.of(CONFIG), List.of(server("a", backends.get(0), Map.of(0, "0a01")),
                server("b", backends.get(1), Map.of(0, "0b02")), server("c", backends.get(2), Map.of(0, "0c03"))))) {
            SplittableRandom random = new SplittableRandom(10);
            int split = 0;
            int acrossWorkers = 0;
            for (int flight = 0; flight < 20; flight++) {
                byte[] dcid = new byte[8];
                byte[] scid = new byte[8];
                random.nextBytes(dcid);
                random.nextBytes(scid);
                dcid[0] = (byte) 0xe7; // config 7: unroutable whatever the rest
                byte[] initial = QuicPackets.longHeader(dcid, scid, "flight-" + flight);
                int before = sendAndFindWorker(fixture, fixture.client(), initial);
                String first = arrivedAt(backends, "flight-" + flight);
                int after = sendAndFindWorker(fixture, fixture.client(), initial);
                String second = arrivedAt(backends, "flight-" + flight);
                split += first.equals(second) ? 0 : 1;
                acrossWorkers += before == after ? 0 : 1;
            }
            assertEquals(0, split, "first flights that reached two servers");
            assertTrue(acrossWorkers > 0, "the kernel never moved a rebinding client to another worker");
            assertEquals(0, fixture.unaccounted(), fixture.describe());
        } finally {
            backends.forEach(UdpBackend::close);
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void shouldRouteTheShortHeadersOfAServerWithoutAConfigAfterTheClientRebinds(TransportKind transport)
            throws Exception {
        // draft-21 §3.2: a server without a configuration issues 0b111 CIDs (self-encoded length); §4.2 step 3 routes
        // by the DCID table, which learns them from the SCID of the server's long headers the appliance relays.
        byte[] serverCid = Hex.decode("cid", "e7c5a1b2c3d4e5f6");
        List<UdpBackend> backends = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            backends.add(new UdpBackend(name).answering(datagram -> (datagram[0] & 0x80) == 0 ? null
                    : QuicPackets.longHeader(new byte[] {9}, serverCid, "server-initial")));
        }
        try (ForwarderFixture fixture = new ForwarderFixture(transport, 2, Duration.seconds(60), 10_000,
                List.of(CONFIG), List.of(server("a", backends.get(0), Map.of(0, "0a01")),
                server("b", backends.get(1), Map.of(0, "0b02")), server("c", backends.get(2), Map.of(0, "0c03"))))) {
            UdpClient client = fixture.client();
            client.send(QuicPackets.longHeader(Hex.decode("d", "1122334455667788"), new byte[] {9}, "initial"));
            String server = arrivedAt(backends, "initial");
            assertNotNull(client.receive(5_000), "the server's Initial, relayed");
            assertTrue(await(() -> fixture.forwarder.total(ForwarderCounter.SERVER_CIDS_LEARNED) == 1));
            UdpClient rebound = fixture.client();
            for (int i = 0; i < 10; i++) {
                rebound.send(QuicPackets.shortHeader(serverCid, "1rtt-" + i));
            }
            for (int i = 0; i < 10; i++) {
                assertEquals(server, arrivedAt(backends, "1rtt-" + i), "1-RTT packet " + i);
            }
            assertEquals(10, fixture.forwarder.total(ForwarderCounter.UNROUTABLE_SHORT_CONFIG_ID_7));
        } finally {
            backends.forEach(UdpBackend::close);
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void shouldRouteAClientsStatelessResetOnTheFourTupleOfAConnectionRoutedByCid(TransportKind transport)
            throws Exception {
        // A client that lost its state answers with a stateless reset: a short header with a random DCID (RFC 9000
        // §10.3). It must reach the connection's server, by the 4-tuple table (§4.2 step 4) that CID-routed traffic
        // keeps fresh past the flow idle timeout (here 1 s, traffic for 3 s).
        List<UdpBackend> backends = List.of(new UdpBackend("a").echoing(), new UdpBackend("b").echoing(),
                new UdpBackend("c").echoing());
        try (ForwarderFixture fixture = new ForwarderFixture(transport, 2, Duration.seconds(1), 10_000,
                List.of(CONFIG), List.of(server("a", backends.get(0), Map.of(0, "0a01")),
                server("b", backends.get(1), Map.of(0, "0b02")), server("c", backends.get(2), Map.of(0, "0c03"))))) {
            UdpClient client = fixture.client();
            // The connection's server: one the fallback would not pick for this 4-tuple, so only the table can
            // route the reset there.
            String fallback = fallbackChoice(fixture, client);
            String owner = fallback.equals("a") ? "b" : "a";
            CidEncoder encoder = new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex(owner.equals("a") ? "0a01"
                    : "0b02"), 0);
            long end = System.nanoTime() + 3_000_000_000L;
            int sent = 0;
            while (System.nanoTime() < end) {
                client.send(QuicPackets.shortHeader(encoder.nextConnectionId(), "cid-" + sent));
                assertEquals(owner, arrivedAt(backends, "cid-" + sent));
                assertNotNull(client.receive(5_000));
                sent++;
                Thread.sleep(100);
            }
            byte[] random = new byte[20];
            new SplittableRandom(4).nextBytes(random);
            random[0] = (byte) 0xc5; // config 6: no such configuration, so unroutable
            client.send(QuicPackets.shortHeader(random, "reset"));
            assertEquals(owner, arrivedAt(backends, "reset"), "fallback would have picked " + fallback);
            assertEquals(1, fixture.forwarder.total(ForwarderCounter.ROUTED_BY_TABLE), fixture.describe());
        } finally {
            backends.forEach(UdpBackend::close);
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void shouldForwardLongHeadersOfUnknownVersionsWithConnectionIdsLongerThanTwenty(TransportKind transport)
            throws Exception {
        // RFC 8999 §5.1: up to 255 octets; RFC 9000's 20 applies to v1 only. The server answers them with Version
        // Negotiation, which the client gets only if the load balancer forwards them.
        try (UdpBackend a = new UdpBackend("a").answering(datagram -> QuicPackets.longHeader(new byte[] {1},
                new byte[] {2}, "version-negotiation"));
             ForwarderFixture fixture = ForwarderFixture.start(transport, List.of(CONFIG),
                     List.of(server("a", a, Map.of(0, "0a01"))))) {
            for (int dcidLength : new int[] {21, 255}) {
                byte[] dcid = new byte[dcidLength];
                new SplittableRandom(dcidLength).nextBytes(dcid);
                byte[] probe = QuicPackets.longHeader(dcid, new byte[] {3, 3}, "unknown-version-" + dcidLength);
                probe[1] = 0x5a;
                probe[2] = 0x6a;
                probe[3] = 0x7a;
                probe[4] = (byte) 0x8a;
                UdpClient client = fixture.client();
                client.send(java.util.Arrays.copyOf(probe, Math.max(probe.length, 1200)));
                assertEquals("a", arrivedAt(List.of(a), "unknown-version-" + dcidLength));
                assertNotNull(client.receive(5_000), "the answer for a " + dcidLength + "-octet DCID");
            }
            assertEquals(2, fixture.forwarder.total(ForwarderCounter.UNKNOWN_VERSION));
            assertEquals(0, fixture.forwarder.total(ForwarderCounter.DROPPED_DCID_TOO_LONG));
        }
    }

    /** Sends one datagram and waits until a worker counted it; returns that worker's index. */
    private static int sendAndFindWorker(ForwarderFixture fixture, UdpClient client, byte[] datagram)
            throws Exception {
        List<WorkerCounters> workers = fixture.forwarder.workerCounters();
        long[] before = new long[workers.size()];
        for (int w = 0; w < before.length; w++) {
            before[w] = workers.get(w).get(ForwarderCounter.RECEIVED);
        }
        client.send(datagram);
        int[] worker = {-1};
        assertTrue(await(() -> {
            for (int w = 0; w < before.length; w++) {
                if (workers.get(w).get(ForwarderCounter.RECEIVED) > before[w]) {
                    worker[0] = w;
                    return true;
                }
            }
            return false;
        }));
        return worker[0];
    }

    /** @return the name of the backend that received the datagram whose payload holds {@code marker} */
    private static String arrivedAt(List<UdpBackend> backends, String marker) throws InterruptedException {
        Map<String, Integer> seen = new HashMap<>();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (UdpBackend backend : backends) {
                UdpBackend.Received received = backend.poll(2);
                if (received != null && new String(received.payload(), java.nio.charset.StandardCharsets.ISO_8859_1)
                        .contains(marker)) {
                    return backend.name;
                }
                if (received != null) {
                    seen.merge(backend.name, 1, Integer::sum);
                }
            }
        }
        throw new AssertionError("no backend received " + marker + "; others seen: " + seen);
    }

    /** The server the fallback hash picks for this client's 4-tuple, worked out by a router of its own. */
    private static String fallbackChoice(ForwarderFixture fixture, UdpClient client) {
        Router scratch = new Router(new DecisionTables(10), LocalAddresses.of(List.of(fixture.address)));
        byte[] initial = QuicPackets.longHeader(new byte[] {(byte) 0xe7, 1, 2, 3, 4, 5, 6, 7}, new byte[0], "x");
        InetSocketAddress source = new InetSocketAddress("127.0.0.1", client.port());
        scratch.route(fixture.routing.current(), initial, initial.length, source, 0, 0);
        return scratch.server().name();
    }
}
