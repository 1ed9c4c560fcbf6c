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

    /**
     * Adopts a socket handed over by the appliance taken over, already bound, for {@code port}.
     *
     * @param port the port the socket is for
     * @param fd   the socket's descriptor, the channel's from now on
     * @return the socket, registered
     * @throws Exception why it could not be adopted (the descriptor is closed then);
     *                   {@link UnsupportedOperationException} from openers without descriptors (NIO, tests)
     */
    default Channel adopt(UpstreamPort port, int fd) throws Exception {
        throw new UnsupportedOperationException("this port opener cannot adopt a socket descriptor");
    }
}
