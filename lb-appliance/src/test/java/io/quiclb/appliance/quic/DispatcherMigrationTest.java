package io.quiclb.appliance.quic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.util.Duration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
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
 * The codec's {@link io.quiclb.codec.netty.QuicLbCodecDispatcher} with real QUIC: one server with two SO_REUSEPORT
 * sockets on one port behind the appliance. A kwik client's active migration makes the appliance open a new NAT flow
 * to the server, and the kernel hashes its 4-tuple to either socket; when it picks the socket of the thread that does
 * not own the connection, the dispatcher moves the datagrams to the owner, and both requests are answered.
 */
class DispatcherMigrationTest {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 8, 1,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);
    /** Connections tried at most until one's migration lands on the other socket (p = 1/2 each). */
    private static final int MAX_CONNECTIONS = 16;

    @Test
    void shouldAnswerAMigratedClientFromTheOwningThreadWhicheverSocketTheKernelPicks() throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        ReusePortQuicServer server = null;
        Forwarder forwarder = null;
        try {
            server = new ReusePortQuicServer("s1", CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"), group, 2);
            forwarder = forwarderTo(server, CONFIG);

            int connections = 0;
            while (connections < MAX_CONNECTIONS && server.dispatcher.movedToOwner() == 0) {
                connections++;
                requestMigrateRequest(forwarder);
            }
            assertTrue(server.dispatcher.movedToOwner() > 0,
                    "a migration landed on the other socket within " + connections + " connections");
            // Every short header carried a CID of this server. Nothing is asserted about the datagrams before the
            // migration: one run counted a single short header in all, the migrated one, since kwik can coalesce its
            // first 1-RTT data with a Handshake packet, which Netty's dispatcher leaves where it lands.
            assertEquals(0, server.dispatcher.handledWhereLanded(), "dispatched " + server.dispatcher.dispatched()
                    + ", moved " + server.dispatcher.movedToOwner());
            assertTrue(forwarder.total(ForwarderCounter.ROUTED_BY_CID) > 0);
            assertEquals(0, forwarder.total(ForwarderCounter.UNROUTABLE_SHORT_NO_SERVER_FOR_SID));
        } finally {
            if (forwarder != null) {
                forwarder.stop();
            }
            if (server != null) {
                server.close();
            }
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * @return a started appliance forwarder (epoll, one worker) whose one server, s1 with server ID 0a01 in
     *         {@code config}, is {@code server}
     */
    static Forwarder forwarderTo(ReusePortQuicServer server, LbConfigEntry config) throws Exception {
        Forwarder forwarder = new Forwarder(new ForwarderSettings(TransportKind.EPOLL, 1,
                List.of(HostPort.parse("127.0.0.1:0")), Duration.seconds(60), 1000L, 2048),
                new RoutingService(1, new QuicLbSettings(List.of(config)), List.of(new ServerEntry("s1",
                        HostPort.parse("127.0.0.1:" + server.address().getPort()), Map.of(0, "0a01"), List.of()))));
        forwarder.start();
        return forwarder;
    }

    /** One request, an active migration, one more request: both answered by the same thread. */
    private static void requestMigrateRequest(Forwarder forwarder) throws Exception {
        QuicClientConnectionImpl connection = KwikClients.connect(forwarder.boundAddresses().get(0));
        try {
            List<String> answers = new ArrayList<>();
            answers.add(KwikClients.request(connection));
            assertTrue(KwikClients.migrate(connection), "the server issued a spare CID");
            answers.add(KwikClients.request(connection));
            Set<String> threads = new HashSet<>();
            Set<String> remotes = new HashSet<>();
            for (String answer : answers) {
                threads.add(KwikClients.field(answer, "thread"));
                remotes.add(KwikClients.field(answer, "remote"));
            }
            assertEquals(1, threads.size(), "one thread: " + answers);
            assertEquals(2, remotes.size(), "the server saw the migration: " + answers);
        } finally {
            connection.close();
        }
    }
}
