package io.quiclb.appliance.quic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.util.Duration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.appliance.forward.Forwarder;
import io.quiclb.appliance.forward.ForwarderCounter;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.codec.FirstOctet;
import io.quiclb.codec.ServerId;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.impl.QuicClientConnectionImpl;

/**
 * The kwik client (pure-Java QUIC) against three Netty QUIC servers issuing QUIC-LB CIDs, through the appliance in
 * NAT mode with encrypted configs: active migration (new port and a new server-issued CID), and a config rotation
 * in the middle of a connection (draft-21 §3.1).
 */
class KwikMigrationTest {
    private static final LbConfigEntry OLD = new LbConfigEntry(0, 2, 8, 1,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);
    private static final LbConfigEntry NEW = new LbConfigEntry(1, 2, 8, 1,
            AesKeyHex.parse("fdf726a9893ec05c0632d3956680baf0"), true);

    private MultiThreadIoEventLoopGroup group;
    private final List<TestQuicServer> servers = new ArrayList<>();
    private RoutingService routing;
    private Forwarder forwarder;

    @BeforeEach
    void start() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        for (int i = 1; i <= 3; i++) {
            servers.add(new TestQuicServer("s" + i, OLD.toQuicLbConfig(), ServerId.fromHex("0a0" + i), group));
        }
        routing = new RoutingService(1, new QuicLbSettings(List.of(OLD)), entries(false));
        forwarder = new Forwarder(new ForwarderSettings(TransportKind.EPOLL, 1, List.of(HostPort.parse("127.0.0.1:0")),
                Duration.seconds(60), 1000L, 2048), routing);
        forwarder.start();
    }

    @AfterEach
    void stop() throws Exception {
        forwarder.stop();
        servers.forEach(TestQuicServer::close);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void shouldKeepAnActivelyMigratingClientOnItsServer() throws Exception {
        QuicClientConnection connection = connect();
        try {
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                answers.add(KwikClients.request(connection));
            }
            QuicClientConnectionImpl client = (QuicClientConnectionImpl) connection;
            byte[] before = client.getDestinationConnectionId();
            assertNotNull(client.nextDestinationConnectionId(), "the server issued a spare CID");
            client.changeAddress();
            long routedBefore = forwarder.total(ForwarderCounter.ROUTED_BY_CID);
            for (int i = 0; i < 3; i++) {
                answers.add(KwikClients.request(connection));
            }
            assertTrue(!java.util.Arrays.equals(before, client.getDestinationConnectionId()), "new CID after migration");
            assertEquals(1, column(answers, 0).size(), "one server: " + answers);
            assertEquals(2, column(answers, 1).size(), "the server saw the new path: " + answers);
            assertTrue(forwarder.total(ForwarderCounter.ROUTED_BY_CID) > routedBefore);
        } finally {
            connection.close();
        }
    }

    @Test
    void shouldMoveALiveConnectionToTheNewConfigDuringRotation() throws Exception {
        QuicClientConnection connection = connect();
        try {
            List<String> answers = new ArrayList<>();
            answers.add(KwikClients.request(connection));
            QuicClientConnectionImpl client = (QuicClientConnectionImpl) connection;
            assertEquals(0, FirstOctet.configId(client.getDestinationConnectionId()[0]));
            // 1. The load balancer learns the new config first; 2. the servers switch to it.
            routing.publish(new QuicLbSettings(List.of(OLD, NEW)), entries(true));
            for (int i = 0; i < servers.size(); i++) {
                servers.get(i).update(NEW.toQuicLbConfig(), ServerId.fromHex("0b0" + (i + 1)));
            }
            // The client steps to fresh CIDs and retires the ones it leaves (RETIRE_CONNECTION_ID), as a client moving
            // off a CID does; the server replaces each retired CID with one of the new config (draft-21 §3.1: servers
            // use NEW_CONNECTION_ID to move clients to new-config CIDs).
            // The retirement goes out only after a request has been answered on the new CID: RFC 9000 §19.16 forbids
            // retiring the CID a packet is sent to, and kwik could otherwise put the frame in a packet still sent to
            // the CID it retires (quiche then closes the connection with PROTOCOL_VIOLATION).
            for (int step = 0; step < 10 && FirstOctet.configId(client.getDestinationConnectionId()[0]) != 1; step++) {
                client.nextDestinationConnectionId();
                answers.add(KwikClients.request(connection));
                client.getDestinationConnectionIds().forEach((sequence, info) -> {
                    if (info.getConnectionIdStatus() == tech.kwik.core.cid.ConnectionIdStatus.USED) {
                        client.retireDestinationConnectionId(sequence);
                    }
                });
            }
            assertEquals(1, FirstOctet.configId(client.getDestinationConnectionId()[0]), "moved to the new config");
            // 3 and 4. The old slot is deleted; the connection goes on.
            routing.publish(new QuicLbSettings(List.of(NEW)), entries(true).stream()
                    .map(e -> new ServerEntry(e.name(), e.address(), Map.of(1, e.serverIds().get(1)), List.of()))
                    .toList());
            for (int i = 0; i < 3; i++) {
                answers.add(KwikClients.request(connection));
            }
            assertEquals(1, column(answers, 0).size(), "one server: " + answers);
            assertTrue(forwarder.routedByConfig(1) > 0);
        } finally {
            connection.close();
        }
    }

    private List<ServerEntry> entries(boolean withNew) {
        List<ServerEntry> entries = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            Map<Integer, String> ids = withNew ? Map.of(0, "0a0" + (i + 1), 1, "0b0" + (i + 1))
                    : Map.of(0, "0a0" + (i + 1));
            entries.add(new ServerEntry(servers.get(i).name,
                    HostPort.parse("127.0.0.1:" + servers.get(i).address().getPort()), ids, List.of()));
        }
        return entries;
    }

    private QuicClientConnection connect() throws IOException {
        return KwikClients.connect(forwarder.boundAddresses().get(0));
    }

    private static Set<String> column(List<String> answers, int index) {
        Set<String> values = new HashSet<>();
        for (String answer : answers) {
            values.add(answer.split(" ")[index]);
        }
        return values;
    }
}
