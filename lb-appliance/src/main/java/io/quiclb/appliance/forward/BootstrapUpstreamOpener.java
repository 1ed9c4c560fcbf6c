package io.quiclb.appliance.forward;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Opens upstream sockets of the forwarder's transport on one worker's event loop. Netty sets a bootstrap's
 * channel factory once, so each address family has its own bootstrap.
 *
 * <p><b>Thread safety:</b> not thread-safe (a bootstrap's handler is set per call); used on its event loop only.
 */
final class BootstrapUpstreamOpener implements UpstreamOpener {
    private final Bootstrap ipv4;
    private final Bootstrap ipv6;

    BootstrapUpstreamOpener(EventLoop eventLoop, Transport transport, int maxDatagramSize) {
        this.ipv4 = bootstrap(eventLoop, transport, maxDatagramSize, InetAddress.getLoopbackAddress());
        this.ipv6 = bootstrap(eventLoop, transport, maxDatagramSize, ipv6Loopback());
    }

    @Override
    public ChannelFuture open(InetSocketAddress target, ChannelHandler handler) {
        Bootstrap bootstrap = target.getAddress() instanceof Inet4Address ? ipv4 : ipv6;
        return bootstrap.handler(handler).connect(target);
    }

    private static Bootstrap bootstrap(EventLoop eventLoop, Transport transport, int maxDatagramSize,
                                       InetAddress family) {
        return new Bootstrap().group(eventLoop).channelFactory(transport.channelFactory(new InetSocketAddress(family, 0)))
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(maxDatagramSize))
                .option(ChannelOption.SO_RCVBUF, 1 << 20);
    }

    private static InetAddress ipv6Loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
