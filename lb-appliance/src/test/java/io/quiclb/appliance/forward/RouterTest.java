package io.quiclb.appliance.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.decision.DecisionTables;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.Hex;
import io.quiclb.codec.ServerId;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The routing decision alone, without sockets (draft-21 §4.2). */
class RouterTest {
    private static final LbConfigEntry CONFIG =
            new LbConfigEntry(0, 2, 6, 1, AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);
    private static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);

    private final RoutingService routing = new RoutingService(1, new QuicLbSettings(List.of(CONFIG)), List.of(
            new ServerEntry("a", HostPort.parse("127.0.0.1:5001"), Map.of(0, "0a01"),
                    List.of(HostPort.parse("127.0.0.1:5101"))),
            new ServerEntry("b", HostPort.parse("127.0.0.1:5002"), Map.of(0, "0b02"), List.of())));
    private static final InetSocketAddress LISTENER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 4433);
    private final DecisionTables tables = new DecisionTables(1000);
    private final Router router = new Router(tables, LocalAddresses.of(List.of(LISTENER)));

    @Test
    void shouldRouteByServerIdThenThreadSocket() {
        byte[] thread0 = QuicPackets.shortHeader(cid("0a01", 0), "x");
        assertEquals(ForwarderCounter.ROUTED_TO_THREAD, route(thread0, CLIENT));
        assertEquals(5101, router.target().getPort());
        byte[] thread1 = QuicPackets.shortHeader(cid("0a01", 1), "x");
        assertEquals(ForwarderCounter.ROUTED_BY_CID, route(thread1, CLIENT));
        assertEquals(5001, router.target().getPort());
        assertEquals(0, router.routedConfigId());
    }

    @Test
    void shouldFollowTheTablesInDraftOrderAndForgetRemovedServers() {
        byte[] dcid = {(byte) 0xe7, 1, 2, 3, 4, 5, 6, 7};
        byte[] initial = QuicPackets.longHeader(dcid, new byte[] {9, 9, 9, 9}, "initial");
        assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK, route(initial, CLIENT));
        String chosen = router.server().name();
        // Same 4-tuple, another SCID and DCID: the 4-tuple table answers.
        byte[] other = QuicPackets.longHeader(new byte[] {(byte) 0xe7, 8, 8, 8, 8, 8, 8, 8}, new byte[] {1}, "x");
        assertEquals(ForwarderCounter.ROUTED_BY_TABLE, route(other, CLIENT));
        assertEquals(chosen, router.server().name());
        // Another 4-tuple with the first DCID: the DCID table answers (NAT rebinding during the handshake).
        InetSocketAddress rebound = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40001);
        assertEquals(ForwarderCounter.ROUTED_BY_TABLE, route(initial, rebound));
        assertEquals(chosen, router.server().name());
        // An unroutable short header from a remembered 4-tuple goes the same way (step 4); from a new one by the
        // fallback (step 5), which the 4-tuple table then remembers.
        byte[] shortHeader = QuicPackets.shortHeader(new byte[] {(byte) 0x27, 1, 2, 3, 4, 5, 6, 7, 8}, "x");
        assertEquals(ForwarderCounter.ROUTED_BY_TABLE, route(shortHeader, CLIENT));
        assertEquals(ForwarderCounter.UNROUTABLE_SHORT_UNKNOWN_CONFIG, router.note());
        assertEquals(chosen, router.server().name());
        InetSocketAddress stranger = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40002);
        assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK, route(shortHeader, stranger));
        String strangers = router.server().name();
        assertEquals(ForwarderCounter.ROUTED_BY_TABLE, route(shortHeader, stranger));
        assertEquals(strangers, router.server().name());
        // Remove the chosen server: remembered decisions naming it no longer count.
        String remaining = chosen.equals("a") ? "b" : "a";
        routing.publish(new QuicLbSettings(List.of(CONFIG)), List.of(new ServerEntry(remaining,
                HostPort.parse(remaining.equals("a") ? "127.0.0.1:5001" : "127.0.0.1:5002"),
                Map.of(0, remaining.equals("a") ? "0a01" : "0b02"), List.of())));
        assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK, route(initial, CLIENT));
        assertEquals(remaining, router.server().name());
    }

    @Test
    void shouldGiveTheSameAnswerWhicheverWorkerTheKernelPicks() {
        // draft-21 §4.2 tables shared by four workers: a client whose port changes during its first flight (same
        // DCID and SCID) may reach another worker, which must find the first worker's decision.
        Router[] workers = new Router[4];
        for (int w = 0; w < workers.length; w++) {
            workers[w] = new Router(tables, LocalAddresses.of(List.of(LISTENER)));
        }
        for (int flight = 0; flight < 20; flight++) {
            byte[] dcid = {(byte) 0xe7, 1, 2, 3, 4, 5, 6, (byte) flight};
            byte[] initial = QuicPackets.longHeader(dcid, new byte[] {7, (byte) flight}, "initial");
            InetSocketAddress before = new InetSocketAddress(InetAddress.getLoopbackAddress(), 45000 + flight);
            InetSocketAddress after = new InetSocketAddress(InetAddress.getLoopbackAddress(), 46000 + flight);
            assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK, route(workers[flight % 4], initial, before));
            InetSocketAddress target = workers[flight % 4].target();
            Router other = workers[(flight + 1 + flight % 3) % 4];
            assertEquals(ForwarderCounter.ROUTED_BY_TABLE, route(other, initial, after));
            assertSame(target, other.target(), "flight " + flight);
        }
    }

    @Test
    void shouldRouteShortHeadersToTheServerThatIssuedAnUnroutableCidFromAnyAddress() {
        // draft-21 §3.2: a server without a configuration issues 0b111 CIDs, self-encoding their length; the load
        // balancer sees them as the SCID of the server's long headers it relays, and §4.2 step 3 routes the
        // client's short headers by them after its NAT rebinds. Likewise a CID of a config this LB lacks (id 5).
        byte[] initial = QuicPackets.longHeader(new byte[] {0x11, 2, 3, 4, 5, 6, 7, 8}, new byte[] {9}, "initial");
        assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK, route(initial, CLIENT));
        io.quiclb.appliance.route.Placement placement = router.placement();
        byte[] serverCid = Hex.decode("cid", "e7c5a1b2c3d4e5f6");
        byte[] otherConfig = Hex.decode("cid", "a9000102030405060708");
        for (byte[] cid : List.of(serverCid, otherConfig)) {
            byte[] reply = QuicPackets.longHeader(new byte[] {9}, cid, "server initial");
            assertTrue(router.learnFromReply(routing.current(), reply, reply.length, placement, System.nanoTime()));
        }
        Router otherWorker = new Router(tables, LocalAddresses.of(List.of(LISTENER)));
        for (int port = 47000; port < 47010; port++) {
            InetSocketAddress rebound = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            for (byte[] cid : List.of(serverCid, otherConfig)) {
                assertEquals(ForwarderCounter.ROUTED_BY_TABLE,
                        route(otherWorker, QuicPackets.shortHeader(cid, "1-rtt"), rebound));
                assertSame(placement, otherWorker.placement());
            }
        }
        // A routable SCID names its server by itself: nothing to learn. Version Negotiation teaches nothing either.
        byte[] routable = QuicPackets.longHeader(new byte[] {9}, cid("0b02", 0), "server initial");
        assertEquals(false, router.learnFromReply(routing.current(), routable, routable.length, placement, 0));
        byte[] negotiation = QuicPackets.longHeader(new byte[] {9}, Hex.decode("c", "e7000000000000ff"), "vn");
        negotiation[1] = negotiation[2] = negotiation[3] = negotiation[4] = 0;
        assertEquals(false, router.learnFromReply(routing.current(), negotiation, negotiation.length, placement, 0));
    }

    @Test
    void shouldParseLongHeadersOfUnknownVersionsByTheInvariantsOnly() {
        // RFC 8999 §5.1: connection IDs of up to 255 octets in long headers; the 20-octet limit is QUIC v1's
        // (RFC 9000 §17.2, "MUST drop") and v2's (RFC 9369). Unknown versions go by the fallback, so a server can
        // answer with Version Negotiation.
        for (int dcidLength : new int[] {21, 255}) {
            byte[] dcid = new byte[dcidLength];
            dcid[0] = (byte) 0xe7;
            dcid[dcidLength - 1] = (byte) dcidLength;
            byte[] probe = versioned(0x5a6a7a8a, QuicPackets.longHeader(dcid, new byte[255], "x"));
            InetSocketAddress client = new InetSocketAddress(InetAddress.getLoopbackAddress(), 48000 + dcidLength);
            assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK, route(probe, client));
            assertEquals(ForwarderCounter.UNKNOWN_VERSION, router.note());
            String chosen = router.server().name();
            assertEquals(ForwarderCounter.ROUTED_BY_TABLE, route(probe, client));
            assertEquals(chosen, router.server().name());
        }
        byte[] longDcid = QuicPackets.longHeader(new byte[21], new byte[0], "x");
        assertEquals(ForwarderCounter.DROPPED_DCID_TOO_LONG, route(longDcid, CLIENT));
        assertEquals(ForwarderCounter.DROPPED_DCID_TOO_LONG, route(versioned(Router.QUIC_V2, longDcid), CLIENT));
        byte[] longScid = QuicPackets.longHeader(new byte[8], new byte[21], "x");
        assertEquals(ForwarderCounter.DROPPED_BAD_HEADER, route(longScid, CLIENT));
        assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK, route(versioned(0x1a2a3a4a, longScid), CLIENT));
        // The prefix the router asks for covers both connection IDs, up to 1 + 4 + 1 + 255 + 1 + 255 octets.
        byte[] longest = versioned(0x5a6a7a8a, QuicPackets.longHeader(new byte[255], new byte[255], "x"));
        assertEquals(Router.MAX_HEADER_PREFIX_LENGTH, Router.prefixNeeded(longest, Router.HEADER_PREFIX_LENGTH));
        assertEquals(Router.HEADER_PREFIX_LENGTH, Router.prefixNeeded(longScid, Router.HEADER_PREFIX_LENGTH));
    }

    @Test
    void shouldHashTheFourTupleItselfNotTheWayThisProcessNumbersAddresses() {
        // The fallback must give the same answer in a restarted appliance and in every appliance of a fleet: another
        // appliance, with its own route table built from the same shared state, its own §4.2 tables (one entry of
        // its own) and another listener numbered first, sends every first flight to the same server and socket.
        InetSocketAddress other = new InetSocketAddress(InetAddress.getLoopbackAddress(), 4434);
        RoutingService otherAppliance = new RoutingService(1, new QuicLbSettings(List.of(CONFIG)), List.of(
                new ServerEntry("a", HostPort.parse("127.0.0.1:5001"), Map.of(0, "0a01"),
                        List.of(HostPort.parse("127.0.0.1:5101"))),
                new ServerEntry("b", HostPort.parse("127.0.0.1:5002"), Map.of(0, "0b02"), List.of())));
        DecisionTables otherTables = new DecisionTables(1000);
        otherTables.recordTuple(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1), 0,
                otherAppliance.current().servers().get(1).placement(-1), 0);
        Router second = new Router(otherTables, LocalAddresses.of(List.of(other, LISTENER)));
        for (int port = 49000; port < 49050; port++) {
            InetSocketAddress client = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            byte[] initial = QuicPackets.longHeader(new byte[] {(byte) 0xe7, 9, 9, 9, 9, 9, 9, (byte) port},
                    new byte[] {1}, "x");
            route(initial, client);
            int length = Math.min(initial.length, Router.HEADER_PREFIX_LENGTH);
            assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK, second.route(otherAppliance.current(), initial, length,
                    client, 1, 0));
            assertEquals(router.target(), second.target());
            assertEquals(router.placement().server().name(), second.placement().server().name());
        }
    }

    private static byte[] versioned(int version, byte[] longHeader) {
        byte[] copy = longHeader.clone();
        copy[1] = (byte) (version >>> 24);
        copy[2] = (byte) (version >>> 16);
        copy[3] = (byte) (version >>> 8);
        copy[4] = (byte) version;
        return copy;
    }

    @Test
    void shouldSpreadFirstFlightsOverThreadSocketsAndKeepEveryPacketOfOneFlightOnItsSocket() {
        routing.publish(new QuicLbSettings(List.of(CONFIG)), List.of(new ServerEntry("t",
                HostPort.parse("127.0.0.1:5300"), Map.of(0, "0c03"),
                List.of(HostPort.parse("127.0.0.1:5301"), HostPort.parse("127.0.0.1:5302")))));
        int[] perSocket = new int[2];
        for (int port = 41000; port < 41400; port++) {
            InetSocketAddress client = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            byte[] dcid = {(byte) 0xe7, (byte) (port >> 8), (byte) port, 3, 4, 5, 6, 7};
            byte[] initial = QuicPackets.longHeader(dcid, new byte[] {9, 9, 9, 9}, "initial");
            assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK, route(initial, client));
            int chosen = router.target().getPort();
            assertTrue(chosen == 5301 || chosen == 5302, "a thread socket, not the server address: " + chosen);
            perSocket[chosen - 5301]++;
            // The rest of the first flight, from the same 4-tuple or (NAT rebinding) with the same DCID from another.
            assertEquals(ForwarderCounter.ROUTED_BY_TABLE, route(initial, client));
            assertEquals(chosen, router.target().getPort());
            InetSocketAddress rebound = new InetSocketAddress(InetAddress.getLoopbackAddress(), port + 10000);
            assertEquals(ForwarderCounter.ROUTED_BY_TABLE, route(initial, rebound));
            assertEquals(chosen, router.target().getPort());
        }
        // 400 flows over two sockets: a fair split puts 200 on each; 150 is more than 5 standard deviations off.
        assertTrue(perSocket[0] > 150 && perSocket[1] > 150, java.util.Arrays.toString(perSocket));
    }

    @Test
    void shouldPlaceNoFirstFlightOnADownThreadSocketUnlessAllAreDown() {
        io.quiclb.appliance.control.RoutingState state = new io.quiclb.appliance.control.RoutingState(List.of(CONFIG),
                List.of(new ServerEntry("t", HostPort.parse("127.0.0.1:5300"), Map.of(0, "0c03"),
                        List.of(HostPort.parse("127.0.0.1:5301"), HostPort.parse("127.0.0.1:5302")))),
                java.util.Set.of());
        InetSocketAddress down = new InetSocketAddress("127.0.0.1", 5301);
        routing.publish(state, java.util.Set.of(), java.util.Set.of(down));
        for (int port = 42000; port < 42100; port++) {
            byte[] initial = QuicPackets.longHeader(new byte[] {(byte) 0xe7, 1, 2, 3, 4, 5, 6, (byte) port},
                    new byte[] {9}, "initial");
            assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK,
                    route(initial, new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
            assertEquals(5302, router.target().getPort());
        }
        // Every thread socket down: first flights are spread over all of them again rather than dropped.
        routing.publish(state, java.util.Set.of(), java.util.Set.of(down, new InetSocketAddress("127.0.0.1", 5302)));
        java.util.Set<Integer> ports = new java.util.HashSet<>();
        for (int port = 43000; port < 43100; port++) {
            byte[] initial = QuicPackets.longHeader(new byte[] {(byte) 0xe7, 1, 2, 3, 4, 5, 6, (byte) port},
                    new byte[] {9}, "initial");
            route(initial, new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            ports.add(router.target().getPort());
        }
        assertEquals(java.util.Set.of(5301, 5302), ports);
    }

    @Test
    void shouldGiveNoNewFirstFlightsToADrainingServerButStillRouteItsCids() {
        routing.publish(new io.quiclb.appliance.control.RoutingState(List.of(CONFIG), List.of(
                new ServerEntry("a", HostPort.parse("127.0.0.1:5001"), Map.of(0, "0a01"), List.of()),
                new ServerEntry("b", HostPort.parse("127.0.0.1:5002"), Map.of(0, "0b02"), List.of())),
                java.util.Set.of("a")));
        assertEquals(false, routing.current().takesNewFlows(routing.current().servers().get(0)));
        for (int port = 41000; port < 41200; port++) {
            InetSocketAddress client = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            byte[] initial = QuicPackets.longHeader(new byte[] {(byte) 0xe7, 1, 2, 3, 4, 5, 6, (byte) port},
                    new byte[] {1}, "x");
            assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK, route(initial, client));
            assertEquals("b", router.server().name());
        }
        assertEquals(ForwarderCounter.ROUTED_BY_CID, route(QuicPackets.shortHeader(cid("0a01", 1), "x"), CLIENT));
        assertEquals("a", router.server().name());
    }

    @Test
    void shouldExpireRememberedDecisions() {
        byte[] initial = QuicPackets.longHeader(new byte[] {(byte) 0xe7, 1, 2, 3, 4, 5, 6, 7}, new byte[0], "x");
        assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK, route(initial, CLIENT));
        assertEquals(3, tables.size()); // one in each: 4-tuple and SCID, DCID, 4-tuple
        tables.expire(Long.MAX_VALUE);
        assertEquals(0, tables.size());
    }

    @Test
    void shouldForgetAnUnconfirmedFirstFlightsDecisionsButNotAnotherPlacementsEntries() {
        byte[] initial = QuicPackets.longHeader(new byte[] {(byte) 0xe7, 1, 2, 3, 4, 5, 6, 7}, new byte[] {4, 4},
                "x");
        assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK, route(router, initial, CLIENT, 1_000));
        byte[] ids = router.decidedIds(initial);
        assertEquals(2, ids[0]); // SCID length
        assertEquals(8, ids[1]); // DCID length
        assertEquals(3, tables.size());
        // Another placement's entries stay: forgetting removes only what still names the flow's placement.
        io.quiclb.appliance.route.Placement other = routing.current().servers().get(0) == router.server()
                ? routing.current().firstFlight(routing.current().servers().get(1), 0)
                : routing.current().firstFlight(routing.current().servers().get(0), 0);
        tables.forget(CLIENT, 0, ids, other, 1_000);
        assertEquals(3, tables.size());
        tables.forget(CLIENT, 0, ids, router.placement(), 1_000);
        assertEquals(0, tables.size());
        assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK, route(router, initial, CLIENT, 2_000));
        byte[] again = router.decidedIds(initial);

        // The client rebound during its first flight, and its new 4-tuple found the flight by DCID after the old
        // flow's last datagram: the DCID entry stays, the old 4-tuple's go.
        InetSocketAddress rebound = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40001);
        assertEquals(ForwarderCounter.ROUTED_BY_TABLE, route(router, initial, rebound, 3_000));
        tables.forget(CLIENT, 0, again, router.placement(), 2_000);
        assertEquals(1, tables.size());
        assertEquals(ForwarderCounter.ROUTED_BY_TABLE, route(router, initial, rebound, 4_000));

        // A short header routed by the fallback has no SCID, and its DCID only when its length is known.
        tables.expire(Long.MAX_VALUE);
        byte[] shortHeader = QuicPackets.shortHeader(new byte[] {(byte) 0xe7, 9, 9, 9, 9, 9, 9, 9}, "x");
        assertEquals(ForwarderCounter.ROUTED_BY_FALLBACK, route(router, shortHeader, CLIENT, 5_000));
        byte[] shortIds = router.decidedIds(shortHeader);
        assertEquals(-1, shortIds[0]);
        tables.forget(CLIENT, 0, shortIds, router.placement(), 5_000);
        assertEquals(0, tables.size());
    }

    @Test
    void shouldRouteWithoutAllocating() {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        byte[] routable = QuicPackets.shortHeader(cid("0b02", 0), "payload");
        byte[] initial = QuicPackets.longHeader(new byte[] {(byte) 0xe7, 1, 2, 3, 4, 5, 6, 7}, new byte[] {5}, "x");
        route(initial, CLIENT); // records the decision; later ones are table hits
        RouteTable table = routing.current();
        StringBuilder windows = new StringBuilder();
        for (int window = 0; window < 5; window++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            long sum = 0;
            for (int i = 0; i < 100_000; i++) {
                sum += router.route(table, routable, routable.length, CLIENT, 0, i).ordinal();
                sum += router.route(table, initial, initial.length, CLIENT, 0, i).ordinal();
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertEquals(100_000L * (ForwarderCounter.ROUTED_BY_CID.ordinal() + ForwarderCounter.ROUTED_BY_TABLE.ordinal()),
                    sum);
            if (allocated == 0) {
                return;
            }
            windows.append(allocated).append(' ');
        }
        throw new AssertionError("bytes allocated per window of 200,000 routes: " + windows);
    }

    @Test
    void shouldFollowAServerIdMoveAndAReKeyFromTheNextDatagramOn() {
        // Whatever a worker keeps per table (decoder keys, and any decision it remembers, draft-21 §6) must change
        // with the table: the datagram after a change is routed by the new one.
        byte[] thread0 = QuicPackets.shortHeader(cid("0a01", 0), "x");
        byte[] thread1 = QuicPackets.shortHeader(cid("0a01", 1), "x");
        for (int i = 0; i < 3; i++) {
            assertEquals(ForwarderCounter.ROUTED_TO_THREAD, route(thread0, CLIENT), "datagram " + i);
            assertEquals(5101, router.target().getPort());
            assertEquals(ForwarderCounter.ROUTED_BY_CID, route(thread1, CLIENT), "datagram " + i);
            assertEquals(5001, router.target().getPort());
        }
        // Server ID 0a01 moves to another server: the next datagram goes there.
        routing.publish(new QuicLbSettings(List.of(CONFIG)), List.of(
                new ServerEntry("c", HostPort.parse("127.0.0.1:5003"), Map.of(0, "0a01"), List.of()),
                new ServerEntry("b", HostPort.parse("127.0.0.1:5002"), Map.of(0, "0b02"), List.of())));
        assertEquals(ForwarderCounter.ROUTED_BY_CID, route(thread0, CLIENT));
        assertEquals("c", router.server().name());
        // Config 0 re-keyed: the answer is a fresh router's (whatever the new key makes
        // of these octets), with its own tables so only the decoding is compared.
        routing.publish(new QuicLbSettings(List.of(new LbConfigEntry(0, 2, 6, 1,
                AesKeyHex.parse("fdf726a9893ec05c0632d3956680baf0"), true))), List.of(
                new ServerEntry("c", HostPort.parse("127.0.0.1:5003"), Map.of(0, "0a01"), List.of()),
                new ServerEntry("b", HostPort.parse("127.0.0.1:5002"), Map.of(0, "0b02"), List.of())));
        Router fresh = new Router(new DecisionTables(1000), LocalAddresses.of(List.of(LISTENER)));
        ForwarderCounter expected = route(fresh, thread0, CLIENT);
        assertEquals(expected, route(router, thread0, CLIENT));
        assertEquals(fresh.target(), router.target());
    }

    @Test
    void shouldKeepServerHandlesAcrossTablesWhileAddressesStay() {
        RouteTable before = routing.current();
        routing.publish(new QuicLbSettings(List.of(CONFIG)), List.of(
                new ServerEntry("a", HostPort.parse("127.0.0.1:5001"), Map.of(0, "0a01"),
                        List.of(HostPort.parse("127.0.0.1:5101"))),
                new ServerEntry("c", HostPort.parse("127.0.0.1:5003"), Map.of(0, "0c03"), List.of())));
        RouteTable after = routing.current();
        assertSame(before.servers().get(0), after.servers().get(0));
        assertEquals(true, after.isLive(before.servers().get(0)));
        assertEquals(false, after.isLive(before.servers().get(1)));
    }

    private ForwarderCounter route(byte[] datagram, InetSocketAddress client) {
        return route(router, datagram, client);
    }

    private ForwarderCounter route(Router router, byte[] datagram, InetSocketAddress client) {
        return route(router, datagram, client, System.nanoTime());
    }

    private ForwarderCounter route(Router router, byte[] datagram, InetSocketAddress client, long now) {
        int length = Math.min(datagram.length, Router.HEADER_PREFIX_LENGTH);
        length = Math.min(datagram.length, Router.prefixNeeded(datagram, length));
        ForwarderCounter outcome = router.route(routing.current(), datagram, length, client, 0, now);
        if (outcome == ForwarderCounter.ROUTED_BY_FALLBACK) {
            assertTrue(router.recordDecision(datagram, client, 0, now)); // as the worker does once a flow exists
        }
        return outcome;
    }

    private static byte[] cid(String serverId, int threadId) {
        return new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex(serverId), threadId).nextConnectionId();
    }
}
