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
import io.netty.util.concurrent.EventExecutor;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import io.quiclb.codec.netty.QuicLbConnectionIdGenerator;
import io.quiclb.codec.netty.RotationDrain;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Netty QUIC server for tests whose CIDs come from the codec's {@link QuicLbConnectionIdGenerator}, with one
 * socket per thread: socket {@code i} is served by event loop {@code i} of the group and issues CIDs carrying thread
 * ID {@code i}. Every stream is answered with
 * {@code server=<name> remote=<client address as the server sees it> thread=<index of the socket that answered>}.
 * A {@link ThreadSocketCheck} in front of each socket's codec counts the datagrams that reached the socket of the
 * thread their DCID names, and those that reached another.
 */
final class TestQuicServer implements AutoCloseable {
    static final String ALPN = "quiclb-test";

    /** The application error code a drained connection is closed with. */
    static final int DRAINED = 0x51;

    final String name;
    private final RotationDrain rotation;
    private final List<QuicLbConnectionIdGenerator> ids = new ArrayList<>();
    private final List<ThreadSocketCheck> checks = new ArrayList<>();
    private final List<Channel> channels = new ArrayList<>();

    /** A server with one socket, served by any event loop of the group. */
    TestQuicServer(String name, QuicLbConfig config, ServerId serverId, EventLoopGroup group) throws Exception {
        this(name, config, serverId, group, 1);
    }

    /**
     * @param threads sockets, each on its own event loop of {@code group} (which must have at least that many)
     */
    TestQuicServer(String name, QuicLbConfig config, ServerId serverId, EventLoopGroup group, int threads)
            throws Exception {
        this(name, config, serverId, group, threads, null);
    }

    /**
     * @param drainPace when not null, every connection is tracked by a {@link RotationDrain} with this pace that
     *                  closes connections left on an old configuration ({@link #rotation()})
     */
    TestQuicServer(String name, QuicLbConfig config, ServerId serverId, EventLoopGroup group, int threads,
                   java.time.Duration drainPace) throws Exception {
        this.name = name;
        for (int thread = 0; thread < threads; thread++) {
            ids.add(new QuicLbConnectionIdGenerator(config, serverId, thread));
        }
        rotation = drainPace == null ? null
                : new RotationDrain(ids, drainPace, RotationDrain.close(DRAINED, "QUIC-LB config rotation"));
        Iterator<EventExecutor> loops = group.iterator();
        for (int thread = 0; thread < threads; thread++) {
            QuicLbConnectionIdGenerator generator = ids.get(thread);
            ThreadSocketCheck check = new ThreadSocketCheck(config, thread);
            ChannelHandler codec = codec(name, thread, generator.cidLength(), generator,
                    rotation == null ? null : rotation.tracker());
            EventLoopGroup loop = threads == 1 ? group : (EventLoopGroup) loops.next();
            Channel channel = new Bootstrap().group(loop).channel(NioDatagramChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(check, codec);
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            checks.add(check);
            channels.add(channel);
        }
    }

    /** @return the rotation drain every connection is tracked by; only for servers built with a drain pace */
    RotationDrain rotation() {
        return java.util.Objects.requireNonNull(rotation, "built without a drain pace");
    }

    /**
     * A QUIC server codec whose CIDs come from {@code ids}, answering every stream with
     * {@code server=<name> remote=<client address> thread=<thread>}.
     */
    static ChannelHandler codec(String name, int thread, int cidLength,
                                io.netty.handler.codec.quic.QuicConnectionIdGenerator ids) throws Exception {
        return codec(name, thread, cidLength, ids, null);
    }

    /** As above, with {@code perConnection} (sharable, or null) added to every connection's pipeline. */
    static ChannelHandler codec(String name, int thread, int cidLength,
                                io.netty.handler.codec.quic.QuicConnectionIdGenerator ids,
                                ChannelHandler perConnection) throws Exception {
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
                // One handler instance serves every connection of this codec, so it must be sharable: a plain
                // adapter would be refused from the second connection on, and that connection would never answer.
                .handler(new ChannelInitializer<QuicChannel>() {
                    @Override
                    protected void initChannel(QuicChannel connection) {
                        // Streams carry the requests; a rotation drain tracks the connection.
                        if (perConnection != null) {
                            connection.pipeline().addLast(perConnection);
                        }
                    }
                })
                .streamHandler(new ChannelInitializer<QuicStreamChannel>() {
                    @Override
                    protected void initChannel(QuicStreamChannel stream) {
                        stream.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ReferenceCountUtil.release(msg);
                                QuicChannel connection = (QuicChannel) ctx.channel().parent();
                                String answer = "server=" + name + " remote=" + connection.remoteSocketAddress()
                                        + " thread=" + thread;
                                ctx.writeAndFlush(Unpooled.copiedBuffer(answer, StandardCharsets.US_ASCII))
                                        .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
                            }
                        });
                    }
                })
                .build();
    }

    /** @return the first thread's socket, which is also the server's address */
    InetSocketAddress address() {
        return threadAddresses().get(0);
    }

    /** @return thread ID i → the socket of thread i */
    List<InetSocketAddress> threadAddresses() {
        return channels.stream().map(c -> (InetSocketAddress) c.localAddress()).toList();
    }

    /** Every thread issues CIDs of the new configuration from now on (draft-21 §3.1). */
    void update(QuicLbConfig config, ServerId serverId) {
        ids.forEach(generator -> generator.update(config, serverId));
    }

    /** @return short-header datagrams, over all sockets, that arrived at the socket of the thread their DCID names */
    long onOwnThreadSocket() {
        return checks.stream().mapToLong(ThreadSocketCheck::onOwnSocket).sum();
    }

    /** @return short-header datagrams, over all sockets, that arrived at another thread's socket */
    long onOtherThreadSocket() {
        return checks.stream().mapToLong(ThreadSocketCheck::onOtherSocket).sum();
    }

    static File resource(String name) throws URISyntaxException {
        return new File(TestQuicServer.class.getResource("/quic-test/" + name).toURI());
    }

    @Override
    public void close() {
        channels.forEach(channel -> channel.close().syncUninterruptibly());
    }
}
