package io.quiclb.appliance.forward;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import java.net.InetSocketAddress;

/**
 * Opens a flow's upstream socket: a datagram channel on the worker's event loop, connected to the target, with
 * the given handler. The forwarder opens real sockets ({@link BootstrapUpstreamOpener}); tests and benchmarks open
 * {@code EmbeddedChannel}s.
 *
 * <p><b>Thread safety:</b> called only on the worker's event loop.
 */
@FunctionalInterface
interface UpstreamOpener {
    /**
     * @param target  where the socket connects
     * @param handler the handler of its pipeline
     * @return the connect future; its channel is the upstream socket
     */
    ChannelFuture open(InetSocketAddress target, ChannelHandler handler);
}
