package io.quiclb.appliance.health;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A QUIC v1 handshake as a health probe, for servers that do not answer Version Negotiation (answering it is only a
 * SHOULD, RFC 9000 §6.1): a Netty QUIC client completes a TLS 1.3 handshake with the target, offering
 * {@code health.handshakeAlpn}, and closes the connection at once. The server's certificate is not checked: the
 * probe asks whether a QUIC server answers there, not who it is. A handshake that does not complete within
 * {@code health.timeout} fails the probe; the connection then dies by its idle timeout, which is the same.
 *
 * <p><b>Thread safety:</b> {@link #start} and {@link #close} are called by the prober's thread; the handshakes run on
 * this probe's own event loop.
 */
final class HandshakeProbe implements AutoCloseable {
    private final MultiThreadIoEventLoopGroup group;
    private final Channel codec;

    /**
     * @param alpn          the application protocol to offer
     * @param timeoutMillis how long a handshake may take
     * @throws InterruptedException when interrupted while binding its socket
     */
    HandshakeProbe(String alpn, long timeoutMillis) throws InterruptedException {
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("quiclb-health-quic", true),
                NioIoHandler.newFactory());
        QuicSslContext tls = QuicSslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                .applicationProtocols(alpn).build();
        ChannelHandler handler = new QuicClientCodecBuilder().sslContext(tls)
                .maxIdleTimeout(Math.max(1, timeoutMillis), TimeUnit.MILLISECONDS)
                .initialMaxData(1 << 16)
                .build();
        try {
            this.codec = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(handler)
                    .bind(new InetSocketAddress(0)).sync().channel();
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * Starts a handshake with {@code target}; the connection is closed as soon as it is established.
     *
     * @return completes with the connection when the handshake does, or with why it failed
     */
    Future<QuicChannel> start(InetSocketAddress target) {
        Future<QuicChannel> handshake = QuicChannel.newBootstrap(codec).handler(new ChannelInboundHandlerAdapter())
                .remoteAddress(target).connect();
        handshake.addListener(done -> {
            if (done.isSuccess()) {
                ((QuicChannel) done.getNow()).close();
            }
        });
        return handshake;
    }

    @Override
    public void close() {
        codec.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
