package io.quiclb.appliance.forward;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import java.net.InetSocketAddress;

/**
 * Opens real upstream sockets of the forwarder's transport on one worker's event loop (create, register and bind,
 * or adopt one handed over in a takeover, already bound),
 * which on the loop's own thread all complete before this returns.
 *
 * <p><b>Thread safety:</b> called only on its worker's event loop.
 */
final class ChannelPortOpener implements PortOpener {
    /** Receive buffer of an upstream socket: replies of every flow on the port queue here between reads. */
    private static final int UPSTREAM_RCVBUF = 1 << 20;

    private final EventLoop eventLoop;
    private final Transport transport;
    private final int maxDatagramSize;
    private final OwnUpstreamPorts ownPorts;
    private Worker worker;

    ChannelPortOpener(EventLoop eventLoop, Transport transport, int maxDatagramSize, OwnUpstreamPorts ownPorts) {
        this.eventLoop = eventLoop;
        this.transport = transport;
        this.maxDatagramSize = maxDatagramSize;
        this.ownPorts = ownPorts;
    }

    /** @param worker the worker whose replies these sockets carry (set once, before the first open) */
    void setWorker(Worker worker) {
        this.worker = worker;
    }

    @Override
    public Channel open(UpstreamPort port, InetSocketAddress bindAddress) throws Exception {
        DatagramChannel channel = transport.channelFactory(bindAddress).newChannel(); // may throw: no descriptor
        register(port, channel);
        ChannelFuture bound = channel.bind(bindAddress);
        if (!bound.isSuccess()) {
            channel.close();
            throw failure(bound, "bind");
        }
        return opened(channel);
    }

    @Override
    public Channel adopt(UpstreamPort port, int fd) throws Exception {
        DatagramChannel channel;
        try {
            channel = transport.adopt(fd);
        } catch (RuntimeException e) {
            try {
                new io.netty.channel.unix.FileDescriptor(fd).close();
            } catch (java.io.IOException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        register(port, channel);
        return opened(channel); // already bound by the appliance taken over
    }

    private void register(UpstreamPort port, DatagramChannel channel) throws Exception {
        try {
            channel.config().setOption(ChannelOption.SO_RCVBUF, UPSTREAM_RCVBUF);
            channel.config().setOption(ChannelOption.RECVBUF_ALLOCATOR,
                    new FixedRecvByteBufAllocator(maxDatagramSize));
            channel.pipeline().addLast(new UpstreamHandler(worker, port));
        } catch (RuntimeException e) {
            channel.unsafe().closeForcibly();
            throw e;
        }
        ChannelFuture registered = eventLoop.register(channel);
        if (!registered.isSuccess()) {
            channel.unsafe().closeForcibly();
            throw failure(registered, "register");
        }
    }

    private Channel opened(DatagramChannel channel) {
        InetSocketAddress local = channel.localAddress();
        ownPorts.opened(local);
        channel.closeFuture().addListener(closed -> ownPorts.closed(local));
        return channel;
    }

    private static Exception failure(ChannelFuture future, String step) {
        Throwable cause = future.cause();
        if (cause instanceof Exception e) {
            return e;
        }
        return new IllegalStateException(step + " did not complete on the event loop", cause);
    }
}
