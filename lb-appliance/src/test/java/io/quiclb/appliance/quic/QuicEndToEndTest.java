package io.quiclb.appliance.quic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.util.Duration;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.concurrent.Promise;
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
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Real QUIC through the appliance: three Netty QUIC servers issue QUIC-LB CIDs with the codec's generator (an
 * encrypted config), a Netty QUIC client connects through the appliance in NAT mode from behind a relay that
 * rebinds its port mid-connection (same CID, new 4-tuple).
 */
class QuicEndToEndTest {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 8, 1,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);

    @Test
    void shouldKeepARebindingClientOnItsServerRoutedByCid() throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        List<TestQuicServer> servers = new ArrayList<>();
        Forwarder forwarder = null;
        try {
            List<ServerEntry> entries = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                TestQuicServer server = new TestQuicServer("s" + i, CONFIG.toQuicLbConfig(),
                        ServerId.fromHex("0a0" + i), group);
                servers.add(server);
                entries.add(new ServerEntry("s" + i, HostPort.parse("127.0.0.1:" + server.address().getPort()),
                        Map.of(0, "0a0" + i), List.of()));
            }
            RoutingService routing = new RoutingService(1, new QuicLbSettings(List.of(CONFIG)), entries);
            forwarder = new Forwarder(new ForwarderSettings(TransportKind.EPOLL, 1,
                    List.of(HostPort.parse("127.0.0.1:0")), Duration.seconds(60), 1000L, 2048), routing);
            forwarder.start();
            try (RebindingRelay relay = new RebindingRelay(forwarder.boundAddresses().get(0))) {
                QuicChannel connection = connect(group, relay.address());
                List<String> answers = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    answers.add(request(connection, "before-" + i));
                }
                long routedBefore = forwarder.total(ForwarderCounter.ROUTED_BY_CID);
                relay.rebind();
                for (int i = 0; i < 3; i++) {
                    answers.add(request(connection, "after-" + i));
                }
                Set<String> serversSeen = new HashSet<>();
                Set<String> remotesSeen = new HashSet<>();
                for (String answer : answers) {
                    String[] parts = answer.split(" ");
                    serversSeen.add(parts[0]);
                    remotesSeen.add(parts[1]);
                }
                assertEquals(1, serversSeen.size(), "every answer from one server: " + answers);
                // The rebinding opened a new NAT flow, so the server saw the connection move to a new address.
                assertEquals(2, remotesSeen.size(), answers.toString());
                assertTrue(routedBefore > 0, "handshake and requests after it routed by CID");
                assertTrue(forwarder.total(ForwarderCounter.ROUTED_BY_CID) > routedBefore,
                        "packets from the new 4-tuple routed by CID");
                assertEquals(0, forwarder.total(ForwarderCounter.UNROUTABLE_SHORT_NO_SERVER_FOR_SID));
                connection.close().sync();
                // The QUIC codec frees its native buffers when its datagram channel closes.
                connection.parent().close().sync();
            }
        } finally {
            if (forwarder != null) {
                forwarder.stop();
            }
            servers.forEach(TestQuicServer::close);
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static QuicChannel connect(MultiThreadIoEventLoopGroup group, InetSocketAddress through)
            throws Exception {
        QuicSslContext tls = QuicSslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                .applicationProtocols(TestQuicServer.ALPN).build();
        ChannelHandler codec = new QuicClientCodecBuilder().sslContext(tls)
                .maxIdleTimeout(30, TimeUnit.SECONDS)
                .initialMaxData(1 << 20)
                .initialMaxStreamDataBidirectionalLocal(1 << 16)
                .activeMigration(true)
                .build();
        Channel channel = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return QuicChannel.newBootstrap(channel).handler(new ChannelInboundHandlerAdapter())
                .remoteAddress(through).connect().get(10, TimeUnit.SECONDS);
    }

    /** Opens a stream, sends one line, returns the whole answer. */
    private static String request(QuicChannel connection, String line) throws Exception {
        Promise<String> answer = connection.eventLoop().newPromise();
        StringBuilder text = new StringBuilder();
        QuicStreamChannel stream = connection.createStream(QuicStreamType.BIDIRECTIONAL,
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf buffer = (ByteBuf) msg;
                        text.append(buffer.toString(StandardCharsets.US_ASCII));
                        buffer.release();
                    }

                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                        if (event == ChannelInputShutdownReadComplete.INSTANCE) {
                            answer.trySuccess(text.toString());
                        }
                    }
                }).get(10, TimeUnit.SECONDS);
        stream.writeAndFlush(Unpooled.copiedBuffer(line + "\r\n", StandardCharsets.US_ASCII))
                .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
        String result = answer.get(10, TimeUnit.SECONDS);
        assertNotEquals("", result);
        return result;
    }
}
