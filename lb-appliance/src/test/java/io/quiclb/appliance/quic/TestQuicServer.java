package io.quiclb.appliance.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import io.quiclb.codec.netty.QuicLbConnectionIdGenerator;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A Netty QUIC server for tests whose CIDs come from the codec's {@link QuicLbConnectionIdGenerator}: every stream
 * is answered with {@code server=<name> remote=<client address as the server sees it>}.
 */
final class TestQuicServer implements AutoCloseable {
    static final String ALPN = "quiclb-test";

    final String name;
    final QuicLbConnectionIdGenerator ids;
    private final Channel channel;

    TestQuicServer(String name, QuicLbConfig config, ServerId serverId, EventLoopGroup group) throws Exception {
        this.name = name;
        this.ids = new QuicLbConnectionIdGenerator(config, serverId, 0);
        ChannelHandler codec = codec(name, ids.cidLength(), ids);
        channel = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /**
     * A QUIC server codec whose CIDs come from {@code ids}, answering every stream with
     * {@code server=<name> remote=<client address> thread=<event loop thread>}.
     */
    static ChannelHandler codec(String name, int cidLength, io.netty.handler.codec.quic.QuicConnectionIdGenerator ids)
            throws Exception {
        QuicSslContext tls = QuicSslContextBuilder.forServer(resource("key.pem"), null, resource("cert.pem"))
                .applicationProtocols(ALPN).build();
        return new QuicServerCodecBuilder()
                .sslContext(tls)
                .maxIdleTimeout(30, TimeUnit.SECONDS)
                .initialMaxData(1 << 20)
                .initialMaxStreamDataBidirectionalRemote(1 << 16)
                .initialMaxStreamsBidirectional(100)
                .activeMigration(true)
                .localConnectionIdLength(cidLength)
                .connectionIdAddressGenerator(ids)
                .handler(new ChannelInboundHandlerAdapter())
                .streamHandler(new ChannelInitializer<QuicStreamChannel>() {
                    @Override
                    protected void initChannel(QuicStreamChannel stream) {
                        stream.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ReferenceCountUtil.release(msg);
                                QuicChannel connection = (QuicChannel) ctx.channel().parent();
                                String answer = "server=" + name + " remote=" + connection.remoteSocketAddress()
                                        + " thread=" + Thread.currentThread().getName();
                                ctx.writeAndFlush(Unpooled.copiedBuffer(answer, StandardCharsets.US_ASCII))
                                        .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
                            }
                        });
                    }
                })
                .build();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    static File resource(String name) throws URISyntaxException {
        return new File(TestQuicServer.class.getResource("/quic-test/" + name).toURI());
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
