package io.quiclb.appliance.route;

import java.net.InetSocketAddress;

/**
 * Where a connection's first flight goes: a server, and the socket of that server that takes it. For a server with
 * thread sockets that is one of them, so each thread takes its share of new connections and the thread that
 * receives the first flight owns the connection and issues CIDs carrying its thread ID; for a server without, it is
 * the server's address. A router remembers placements, not servers, so every packet of one first flight reaches the
 * same socket (draft-21 §4.2).
 *
 * <p><b>Thread safety:</b> immutable; built with its {@link ServerHandle} and shared by all workers.
 */
public final class Placement {
    private final ServerHandle server;
    private final InetSocketAddress target;

    Placement(ServerHandle server, InetSocketAddress target) {
        this.server = server;
        this.target = target;
    }

    /** @return the server */
    public ServerHandle server() {
        return server;
    }

    /** @return the socket of the server that takes the first flight */
    public InetSocketAddress target() {
        return target;
    }

    @Override
    public String toString() {
        return server.name() + "@" + target.getHostString() + ":" + target.getPort();
    }
}
