package io.quiclb.appliance.quic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.util.Duration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.quic.QuicConnectionAddress;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.appliance.forward.Forwarder;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.codec.FirstOctet;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import io.quiclb.codec.netty.ConnectionAddresses;
import io.quiclb.codec.netty.RotationDrain;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tech.kwik.core.ConnectionTerminatedEvent;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.cid.ConnectionIdStatus;
import tech.kwik.core.impl.QuicClientConnectionImpl;

/**
 * Config rotation of a Netty QUIC server's live connections with {@link RotationDrain} (draft-21 §3.1), kwik clients
 * through the appliance: a client that moves to the server's new-config CIDs and retires the old ones keeps its
 * connection; a client that stays on its old-config CID is closed gracefully within the pace and reconnects on a
 * new-config CID; after the pace the appliance routes no datagram by the old configuration, so the old configuration
 * can be deleted with every client still served.
 */
class RotationDrainTest {
    private static final LbConfigEntry OLD = new LbConfigEntry(0, 2, 8, 1,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);
    private static final LbConfigEntry NEW = new LbConfigEntry(1, 2, 8, 1,
            AesKeyHex.parse("fdf726a9893ec05c0632d3956680baf0"), true);
    // Long enough that the mover has moved (a few requests) before its check, which may come at half the pace.
    private static final java.time.Duration PACE = java.time.Duration.ofSeconds(6);

    private MultiThreadIoEventLoopGroup group;
    private TestQuicServer server;
    private RoutingService routing;
    private Forwarder forwarder;

    @BeforeEach
    void start() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        server = new TestQuicServer("s1", OLD.toQuicLbConfig(), ServerId.fromHex("0a01"), group, 1, PACE);
        routing = new RoutingService(1, new QuicLbSettings(List.of(OLD)), List.of(entry(Map.of(0, "0a01"))));
        forwarder = new Forwarder(new ForwarderSettings(TransportKind.EPOLL, 1, List.of(HostPort.parse("127.0.0.1:0")),
                Duration.seconds(60), 1000L, 2048), routing);
        forwarder.start();
    }

    @AfterEach
    void stop() throws Exception {
        forwarder.stop();
        server.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void shouldMoveOrDrainEveryLiveConnectionWithinThePace() throws Exception {
        QuicClientConnectionImpl mover = KwikClients.connect(forwarder.boundAddresses().get(0));
        QuicClientConnectionImpl stayer = KwikClients.connect(forwarder.boundAddresses().get(0));
        CompletableFuture<ConnectionTerminatedEvent> stayerEnd = new CompletableFuture<>();
        stayer.setConnectionListener(stayerEnd::complete);
        try {
            KwikClients.request(mover);
            KwikClients.request(stayer);
            assertEquals(0, configId(mover.getDestinationConnectionId()));
            assertEquals(0, configId(stayer.getDestinationConnectionId()));
            RotationDrain rotation = server.rotation();
            assertEquals(2, rotation.live());

            // 1. The load balancer learns the new config; 2. the server rotates, and the pace starts.
            routing.publish(new QuicLbSettings(List.of(OLD, NEW)), List.of(entry(Map.of(0, "0a01", 1, "0b01"))));
            long started = System.nanoTime();
            assertEquals(2, rotation.rotate(NEW.toQuicLbConfig(), ServerId.fromHex("0b01")));
            moveToNewConfig(mover);
            assertEquals(1, configId(mover.getDestinationConnectionId()), "the mover is on a new-config CID");

            // The stayer is closed gracefully by its check, at the latest at the end of the pace.
            ConnectionTerminatedEvent end = stayerEnd.get(PACE.toSeconds() + 5, TimeUnit.SECONDS);
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(end.closedByPeer(), "closed by the server");
            assertTrue(end.hasApplicationError(), "an application close");
            assertEquals(TestQuicServer.DRAINED, end.applicationErrorCode());
            assertTrue(tookMillis <= PACE.toMillis() + 2_000, "drained within the pace: " + tookMillis + " ms");
            for (int i = 0; i < 100 && rotation.moved() + rotation.drained() < 2; i++) {
                Thread.sleep(50);
            }
            assertEquals(1, rotation.moved(), "the mover was left alone");
            assertEquals(1, rotation.drained(), "the stayer was drained");
            assertEquals(0, rotation.gone());

            // The stayer's client reconnects and gets a CID of the new configuration from its handshake on.
            QuicClientConnectionImpl again = KwikClients.connect(forwarder.boundAddresses().get(0));
            try {
                assertEquals(1, configId(again.getDestinationConnectionId()));
                // 3. After the pace nothing is routed by the old configuration: 4. it is deleted, and both clients
                // are still served.
                long oldRouted = forwarder.routedByConfig(0);
                KwikClients.request(again);
                KwikClients.request(mover);
                assertEquals(oldRouted, forwarder.routedByConfig(0), "no datagram routed by the old config");
                routing.publish(new QuicLbSettings(List.of(NEW)), List.of(entry(Map.of(1, "0b01"))));
                assertEquals("s1", KwikClients.field(KwikClients.request(again), "server"));
                assertEquals("s1", KwikClients.field(KwikClients.request(mover), "server"));
                assertEquals(oldRouted, forwarder.routedByConfig(0));
                assertTrue(forwarder.routedByConfig(1) > 0);
            } finally {
                again.close();
            }
        } finally {
            mover.close();
            stayer.close();
        }
    }

    @Test
    void shouldRefuseARotationToAnotherCidLengthAndChangeNothing() throws Exception {
        RotationDrain rotation = server.rotation();
        QuicLbConfig longer = QuicLbConfig.builder(1, 2, 10).build();
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> rotation.rotate(longer, ServerId.fromHex("0b01")));
        assertTrue(refused.getMessage().contains("cidLength"), refused.getMessage());
        QuicClientConnection client = KwikClients.connect(forwarder.boundAddresses().get(0));
        try {
            assertEquals(0, configId(((QuicClientConnectionImpl) client).getDestinationConnectionId()),
                    "still issuing the old configuration's CIDs");
        } finally {
            client.close();
        }
    }

    @Test
    void shouldReadTheCidInUseFromNettysAddress() {
        // RotationDrain reads the CID in use through ConnectionAddresses, from QuicConnectionAddress.toString(), the
        // only public view of its octets in Netty 4.2.18: this pins that format.
        assertArrayEquals(new byte[] {0x3f, 1, 2, 3},
                ConnectionAddresses.cid(new QuicConnectionAddress(new byte[] {0x3f, 1, 2, 3})));
        assertArrayEquals(new byte[] {(byte) 0xe0, (byte) 0xff},
                ConnectionAddresses.cid(new QuicConnectionAddress(new byte[] {(byte) 0xe0, (byte) 0xff})));
        assertNull(ConnectionAddresses.cid(QuicConnectionAddress.EPHEMERAL), "no octets");
    }

    /**
     * Kwik steps to the server's spare CIDs and retires the ones it used (RETIRE_CONNECTION_ID), as a client moving
     * off its CIDs does; the server replaces each with a new-config CID. A request is answered on each new CID before
     * the retirement goes out (RFC 9000 §19.16: a packet must not retire the CID it is sent to).
     */
    private static void moveToNewConfig(QuicClientConnectionImpl client) throws IOException {
        for (int step = 0; step < 10 && configId(client.getDestinationConnectionId()) != 1; step++) {
            // null while the replacements of the CIDs retired last step are still on their way: ask again next step
            client.nextDestinationConnectionId();
            KwikClients.request(client);
            client.getDestinationConnectionIds().forEach((sequence, info) -> {
                if (info.getConnectionIdStatus() == ConnectionIdStatus.USED) {
                    client.retireDestinationConnectionId(sequence);
                }
            });
        }
    }

    private ServerEntry entry(Map<Integer, String> serverIds) {
        return new ServerEntry("s1", HostPort.parse("127.0.0.1:" + server.address().getPort()), serverIds, List.of());
    }

    private static int configId(byte[] cid) {
        return FirstOctet.configId(cid[0]);
    }
}
