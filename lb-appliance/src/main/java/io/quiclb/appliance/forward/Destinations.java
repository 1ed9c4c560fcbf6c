package io.quiclb.appliance.forward;

import java.net.InetSocketAddress;

/**
 * Where a wildcard listener's datagrams get a local address: the destination address each datagram was sent to,
 * with a socket of its own on the worker, bound to that address and the listener's port, so that replies leave from
 * the address the client sent to. The forwarder opens such sockets as destinations appear ({@link Forwarder}).
 *
 * <p><b>Thread safety:</b> {@link #localFor} is called on the worker's event loop; {@link #unknownDestination} from
 * any worker.
 */
interface Destinations {
    /**
     * @param worker      the worker that received a datagram for {@code destination}
     * @param destination the address the client sent to, as the kernel reported it
     * @return its number, with a socket of this worker bound to it; -1 when no socket could be bound
     */
    int localFor(Worker worker, InetSocketAddress destination);

    /** A datagram reached a wildcard listener whose transport does not say where it was sent: look again soon. */
    void unknownDestination();
}
