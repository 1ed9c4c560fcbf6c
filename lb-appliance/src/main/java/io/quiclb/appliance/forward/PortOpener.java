package io.quiclb.appliance.forward;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/**
 * Opens an upstream port's socket: an unconnected UDP socket on the worker's event loop, bound to
 * {@code bindAddress} (a source address, or the wildcard, with port 0: the kernel picks a free port), whose
 * handler hands replies to the worker. The forwarder opens real sockets ({@link ChannelPortOpener}); tests open
 * {@code EmbeddedChannel}s.
 *
 * <p><b>Thread safety:</b> called only on the worker's event loop.
 */
@FunctionalInterface
interface PortOpener {
    /**
     * @param port        the port the socket is for
     * @param bindAddress where to bind it
     * @return the socket, registered and bound (on its own event loop both happen at once)
     * @throws Exception why it could not be opened: no descriptor, no free port, ... (nothing is left open then)
     */
    Channel open(UpstreamPort port, InetSocketAddress bindAddress) throws Exception;
}
