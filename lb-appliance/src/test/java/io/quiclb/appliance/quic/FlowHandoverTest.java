package io.quiclb.appliance.quic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.EchoBackend;
import io.dropwizard.util.Duration;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.appliance.forward.Forwarder;
import io.quiclb.appliance.forward.ForwarderCounter;
import io.quiclb.appliance.forward.NatFlows;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.appliance.takeover.HandoverServer;
import io.quiclb.appliance.takeover.TakeoverClient;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The NAT flows of a takeover, in one JVM: forwarder A relays clients to two echo backends, then hands its listener
 * sockets, flows and upstream sockets over the real handover conversation ({@link HandoverServer},
 * {@link TakeoverClient}, SCM_RIGHTS) to forwarder B, whose route table lacks one of the servers. B adopts the flows
 * of the server it has, on the same upstream sockets (the backend sees each client behind the address it saw before
 * the takeover: no NAT rebinding), drops the others counted by reason, and answers the clients after A is stopped.
 */
class FlowHandoverTest {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 8, 1,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);
    private static final int CLIENTS_PER_SERVER = 4;

    @TempDir
    Path directory;

    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"EPOLL", "IO_URING"})
    void shouldHandTheFlowsOverOnTheSameUpstreamSockets(TransportKind transport) throws Exception {
        try (EchoBackend kept = new EchoBackend(); EchoBackend removed = new EchoBackend()) {
            ServerEntry s1 = server("s1", kept, "0a01");
            ServerEntry s2 = server("s2", removed, "0a02");
            Forwarder a = forwarder(transport, "127.0.0.1:0", List.of(s1, s2));
            Forwarder b = null;
            List<DatagramSocket> clients = new ArrayList<>();
            AtomicReference<String> handedOver = new AtomicReference<>();
            try {
                a.start();
                InetSocketAddress listener = a.boundAddresses().get(0);
                for (int i = 0; i < 2 * CLIENTS_PER_SERVER; i++) {
                    DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                            0));
                    client.setSoTimeout(2_000);
                    clients.add(client);
                    // Twice: the second datagram after the answer confirms the flow (unconfirmed ones expire soon).
                    for (int twice = 0; twice < 2; twice++) {
                        assertTrue(echoed(client, listener, i < CLIENTS_PER_SERVER ? "0a01" : "0a02"), "client " + i);
                    }
                }
                var sendersBefore = kept.senders();
                assertEquals(CLIENTS_PER_SERVER, sendersBefore.size());
                long exportedSockets = a.upstreamSockets();
                assertEquals(2 * CLIENTS_PER_SERVER, a.total(ForwarderCounter.FLOWS_CONFIRMED));

                try (HandoverServer server = HandoverServer.listen(directory.resolve("handover.sock"),
                        handoff(a, handedOver))) {
                    assertNotNull(server);
                    TakeoverClient.Session session = TakeoverClient.connect(directory.resolve("handover.sock"),
                            java.time.Duration.ofSeconds(10)).orElseThrow();
                    try {
                        b = forwarder(transport, "127.0.0.1:" + listener.getPort(), List.of(s1));
                        b.inherit(session.sockets());
                        b.start();
                        String adopted = session.handOver(b.handover());
                        // Every socket A had (each carries one flow per target), including those of s2's flows.
                        assertEquals(CLIENTS_PER_SERVER + " NAT flow(s) on " + exportedSockets + " upstream"
                                + " socket(s) adopted; flows not adopted: {server not in the route table="
                                + CLIENTS_PER_SERVER + "}", adopted);
                    } finally {
                        session.close();
                    }
                }
                assertEquals("served", handedOver.get());
                a.stop();
                a = null;
                assertEquals(CLIENTS_PER_SERVER, b.flows());
                for (int i = 0; i < CLIENTS_PER_SERVER; i++) {
                    assertTrue(echoed(clients.get(i), listener, "0a01"), "client " + i + " after the takeover");
                }
                assertEquals(sendersBefore, kept.senders(), "the backend sees each client behind the same address");
                assertEquals(0, b.total(ForwarderCounter.FLOWS_OPENED), "no flow was opened anew");
            } finally {
                clients.forEach(DatagramSocket::close);
                if (a != null) {
                    a.stop();
                }
                if (b != null) {
                    b.stop();
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"EPOLL"})
    void shouldRefuseFlowsOfAnotherWorkerCount(TransportKind transport) throws Exception {
        Forwarder forwarder = forwarder(transport, "127.0.0.1:0", List.of());
        try {
            forwarder.start();
            NatFlows oneWorker = new NatFlows(List.of(new NatFlows.WorkerFlows(List.of(), List.of())));
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> forwarder.handover().adoptFlows(oneWorker));
            assertEquals("flows of 1 worker(s) for 2", refused.getMessage());
        } finally {
            forwarder.stop();
        }
    }

    /** The running appliance's side as {@code TakeoverHost} does it: offer the listeners, then the flows. */
    private static HandoverServer.Handoff handoff(Forwarder a, AtomicReference<String> handedOver) {
        return new HandoverServer.Handoff() {
            @Override
            public HandoverServer.Offer offer(long pid) throws Exception {
                return new HandoverServer.Offer(a.boundAddresses(), a.handover().listenerSockets(),
                        a.handover().workers());
            }

            @Override
            public HandoverServer.FlowOffer handOver(int workers) throws Exception {
                a.handover().stopReading();
                return new HandoverServer.FlowOffer(a.handover().exportFlows(), null);
            }

            @Override
            public void handedOver(long pid) {
                handedOver.set("served");
            }

            @Override
            public boolean newOneDied() {
                return false;
            }

            @Override
            public void rolledBack(String why) {
                handedOver.set("rolled back: " + why);
            }
        };
    }

    private static Forwarder forwarder(TransportKind transport, String listener, List<ServerEntry> servers) {
        return new Forwarder(new ForwarderSettings(transport, 2, List.of(HostPort.parse(listener)),
                Duration.seconds(60), 1000L, 2048), new RoutingService(2, new QuicLbSettings(List.of(CONFIG)),
                servers));
    }

    private static ServerEntry server(String name, EchoBackend backend, String serverId) throws Exception {
        return new ServerEntry(name, HostPort.parse("127.0.0.1:" + backend.port()), Map.of(0, serverId), List.of());
    }

    /** A short header with a CID of {@code serverId} comes back echoed (3 tries, 2 s each). */
    private static boolean echoed(DatagramSocket client, InetSocketAddress appliance, String serverId)
            throws Exception {
        return io.quiclb.appliance.ShortHeaders.echoed(client, appliance, CONFIG.toQuicLbConfig(), serverId, 3);
    }
}
