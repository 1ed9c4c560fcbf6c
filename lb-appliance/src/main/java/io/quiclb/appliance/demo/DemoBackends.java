package io.quiclb.appliance.demo;

import io.dropwizard.lifecycle.Managed;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3ServerConnectionHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.EventExecutor;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.control.RoutingState;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import io.quiclb.codec.netty.QuicLbConnectionIdGenerator;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo backends: for every server of the routing state the appliance started with, a Netty HTTP/3 server that
 * issues QUIC-LB CIDs for that server (the codec's {@link QuicLbConnectionIdGenerator}) and answers every request
 * with who answered ({@link DemoRequestHandler}). A server with thread sockets gets one socket per thread, thread
 * {@code i} on event loop {@code i} issuing thread ID {@code i}; its address gets a socket too when it is not one of
 * them (it then answers health probes only: the appliance places first flights on thread sockets). A server uses
 * the highest config ID it has a server ID in. The backends follow neither API changes nor rotations: they are a
 * demo, started with {@code demo.backends: true}.
 *
 * <p><b>Thread safety:</b> Dropwizard calls {@link #start} and {@link #stop} once each, on one thread.
 */
public final class DemoBackends implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(DemoBackends.class);

    private final RoutingState state;
    private final List<Channel> channels = new ArrayList<>();
    private EventLoopGroup group;

    /**
     * @param state the servers and configurations to serve
     */
    public DemoBackends(RoutingState state) {
        this.state = state;
    }

    @Override
    public void start() throws Exception {
        int threads = state.servers().stream().mapToInt(s -> Math.max(1, s.threadSockets().size())).max().orElse(1);
        group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
        QuicSslContext tls = tls();
        try {
            for (ServerEntry server : state.servers()) {
                Optional<LbConfigEntry> config = configFor(server);
                if (config.isEmpty()) {
                    LOG.warn("demo: server {} has no server ID in any configuration; no backend for it", server.name());
                    continue;
                }
                start(server, config.get(), tls);
            }
        } catch (Exception e) {
            stop();
            throw e;
        }
        LOG.warn("demo: {} HTTP/3 demo backend socket(s) started for {} server(s), with a self-signed certificate;"
                + " remove demo.backends from the configuration for real traffic", channels.size(),
                state.servers().size());
    }

    private void start(ServerEntry server, LbConfigEntry entry, QuicSslContext tls) throws Exception {
        QuicLbConfig config = entry.toQuicLbConfig();
        ServerId serverId = ServerId.fromHex(server.serverIds().get(entry.configId()));
        List<HostPort> sockets = server.threadSockets().isEmpty() ? List.of(server.address()) : server.threadSockets();
        Iterator<EventExecutor> loops = group.iterator();
        for (int thread = 0; thread < sockets.size(); thread++) {
            bind(server.name(), thread, config, serverId, sockets.get(thread), (EventLoopGroup) loops.next(), tls);
        }
        if (!sockets.contains(server.address())) {
            bind(server.name(), 0, config, serverId, server.address(), group, tls);
        }
    }

    private void bind(String name, int thread, QuicLbConfig config, ServerId serverId, HostPort socket,
                      EventLoopGroup loop, QuicSslContext tls) throws InterruptedException {
        QuicLbConnectionIdGenerator ids = new QuicLbConnectionIdGenerator(config, serverId, thread);
        ChannelHandler codec = codec(name, thread, ids, tls, null);
        InetSocketAddress address = socket.resolve();
        ChannelFuture bound = new Bootstrap().group(loop).channel(NioDatagramChannel.class).handler(codec)
                .bind(address).await();
        if (!bound.isSuccess()) {
            throw new IllegalStateException("demo.backends: backend " + name + " thread " + thread + " cannot bind "
                    + socket + ": " + bound.cause().getMessage() + " (the demo backends need the servers' ports"
                    + " free; remove the demo section when real servers listen there)", bound.cause());
        }
        Channel channel = bound.channel();
        channels.add(channel);
        LOG.info("demo: backend {} thread {} on {} issues config {} CIDs", name, thread, socket,
                config.configId());
    }

    /**
     * The QUIC server codec of one backend socket: HTTP/3, CIDs from {@code ids}, every request answered by a
     * {@link DemoRequestHandler}.
     *
     * @param perConnection a sharable handler added to every connection's pipeline first, or null
     */
    static ChannelHandler codec(String name, int thread, QuicLbConnectionIdGenerator ids, QuicSslContext tls,
                                ChannelHandler perConnection) {
        return Http3.newQuicServerCodecBuilder()
                .sslContext(tls)
                .maxIdleTimeout(30, TimeUnit.SECONDS)
                .initialMaxData(1 << 20)
                .initialMaxStreamDataBidirectionalRemote(1 << 16)
                .initialMaxStreamsBidirectional(100)
                .activeMigration(true)
                .localConnectionIdLength(ids.cidLength())
                .connectionIdAddressGenerator(ids)
                // A ChannelInitializer is sharable: one instance serves every connection of this socket.
                .handler(new ChannelInitializer<QuicChannel>() {
                    @Override
                    protected void initChannel(QuicChannel connection) {
                        if (perConnection != null) {
                            connection.pipeline().addLast(perConnection);
                        }
                        connection.pipeline().addLast(new Http3ServerConnectionHandler(
                                new ChannelInitializer<QuicStreamChannel>() {
                                    @Override
                                    protected void initChannel(QuicStreamChannel stream) {
                                        stream.pipeline().addLast(new DemoRequestHandler(name, thread));
                                    }
                                }));
                    }
                })
                .build();
    }

    /** @return a TLS context for HTTP/3 with a fresh self-signed certificate */
    static QuicSslContext tls() throws Exception {
        DemoCertificate certificate = DemoCertificate.generate();
        return QuicSslContextBuilder.forServer(certificate.keyPair().getPrivate(), null,
                certificate.certificate()).applicationProtocols(Http3.supportedApplicationProtocols()).build();
    }

    private Optional<LbConfigEntry> configFor(ServerEntry server) {
        return state.configs().stream()
                .filter(c -> server.serverIds().containsKey(c.configId()))
                .max((a, b) -> Integer.compare(a.configId(), b.configId()));
    }

    /** @return the sockets bound, for tests */
    List<InetSocketAddress> boundAddresses() {
        return channels.stream().map(c -> (InetSocketAddress) c.localAddress()).toList();
    }

    @Override
    public void stop() {
        channels.forEach(channel -> channel.close().syncUninterruptibly());
        channels.clear();
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            group = null;
        }
    }
}
