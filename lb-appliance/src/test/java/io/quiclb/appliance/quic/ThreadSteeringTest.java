package io.quiclb.appliance.quic;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import io.quiclb.codec.CidDecoder;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tech.kwik.core.impl.QuicClientConnectionImpl;

/**
 * Thread steering with real QUIC: three Netty QUIC servers with two event loops each, one socket per loop, and the
 * appliance configured with those thread sockets. The appliance places each new connection's first flight on one
 * of the server's thread sockets, that thread issues CIDs carrying its thread ID, and from then on every datagram of
 * the connection, before and after a kwik active migration, reaches that thread's socket.
 */
class ThreadSteeringTest {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 8, 1,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);
    /** Connections tried at most until both threads have owned one (each is placed on thread 1 with p = 1/2). */
    private static final int MAX_CONNECTIONS = 16;

    @Test
    void shouldDeliverEveryDatagramOfAConnectionToItsThreadSocketAcrossMigration() throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        List<TestQuicServer> servers = new ArrayList<>();
        Forwarder forwarder = null;
        try {
            List<ServerEntry> entries = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                TestQuicServer server = new TestQuicServer("s" + i, CONFIG.toQuicLbConfig(),
                        ServerId.fromHex("0a0" + i), group, 2);
                servers.add(server);
                entries.add(new ServerEntry("s" + i, HostPort.parse("127.0.0.1:" + server.address().getPort()),
                        Map.of(0, "0a0" + i), server.threadAddresses().stream()
                                .map(a -> HostPort.parse("127.0.0.1:" + a.getPort())).toList()));
            }
            forwarder = new Forwarder(new ForwarderSettings(TransportKind.EPOLL, 1,
                    List.of(HostPort.parse("127.0.0.1:0")), Duration.seconds(60), 1000L, 2048),
                    new RoutingService(1, new QuicLbSettings(List.of(CONFIG)), entries));
            forwarder.start();

            Set<String> owningThreads = new HashSet<>();
            for (int attempt = 0; attempt < MAX_CONNECTIONS && owningThreads.size() < 2; attempt++) {
                owningThreads.add(connectRequestMigrateRequest(forwarder));
            }
            assertEquals(Set.of("0", "1"), owningThreads, "both threads owned connections");
            long own = servers.stream().mapToLong(TestQuicServer::onOwnThreadSocket).sum();
            long other = servers.stream().mapToLong(TestQuicServer::onOtherThreadSocket).sum();
            assertEquals(0, other, "datagrams that reached another thread's socket (" + own + " reached their own)");
            assertTrue(own > 0);
            assertTrue(forwarder.total(ForwarderCounter.ROUTED_TO_THREAD) > 0);
            assertEquals(0, forwarder.total(ForwarderCounter.UNROUTABLE_SHORT_NO_SERVER_FOR_SID));
        } finally {
            if (forwarder != null) {
                forwarder.stop();
            }
            servers.forEach(TestQuicServer::close);
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * One connection: two requests, an active migration, two more; all answered by one server and one thread, the
     * thread the CIDs name.
     *
     * @return the owning thread
     */
    private static String connectRequestMigrateRequest(Forwarder forwarder) throws Exception {
        QuicClientConnectionImpl connection = KwikClients.connect(forwarder.boundAddresses().get(0));
        try {
            List<String> answers = new ArrayList<>();
            answers.add(KwikClients.request(connection));
            answers.add(KwikClients.request(connection));
            int threadBefore = threadIdOf(connection.getDestinationConnectionId());
            assertTrue(KwikClients.migrate(connection), "the server issued a spare CID");
            answers.add(KwikClients.request(connection));
            answers.add(KwikClients.request(connection));
            int threadAfter = threadIdOf(connection.getDestinationConnectionId());

            Set<String> servers = new HashSet<>();
            Set<String> threads = new HashSet<>();
            Set<String> remotes = new HashSet<>();
            for (String answer : answers) {
                servers.add(KwikClients.field(answer, "server"));
                threads.add(KwikClients.field(answer, "thread"));
                remotes.add(KwikClients.field(answer, "remote"));
            }
            assertEquals(1, servers.size(), "one server: " + answers);
            assertEquals(Set.of(String.valueOf(threadBefore)), threads, "the thread the CID names: " + answers);
            assertEquals(threadBefore, threadAfter, "the new CID names the same thread");
            assertEquals(2, remotes.size(), "the server saw the migration: " + answers);
            return String.valueOf(threadBefore);
        } finally {
            connection.close();
        }
    }

    private static int threadIdOf(byte[] cid) {
        QuicLbConfig config = CONFIG.toQuicLbConfig();
        CidDecoder decoder = new CidDecoder(config);
        int result = decoder.decode(cid, 0, cid.length, new byte[QuicLbConfig.MAX_SERVER_ID_LENGTH], 0);
        assertTrue(result > 0, "the client's DCID decodes: " + CidDecoder.resultName(result));
        return decoder.threadId();
    }
}
