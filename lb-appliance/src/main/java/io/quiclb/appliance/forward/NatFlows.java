package io.quiclb.appliance.forward;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * The NAT flows of every worker and the upstream sockets that carry them, as one appliance hands them to the one
 * taking it over: the new appliance adopts the same sockets (so each server keeps seeing each client behind the same
 * 4-tuple, not a NAT rebinding) and rebuilds the same flows on the worker of the same index (so the listener socket
 * the kernel hashes a client to, inherited in order, belongs to the worker that holds its flow).
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param workers one entry per worker, by worker index
 */
public record NatFlows(List<WorkerFlows> workers) {
    /** No flows: the old appliance keeps and drains its own. */
    public static final NatFlows NONE = new NatFlows(List.of());

    /**
     * @param workers one entry per worker, by worker index
     */
    public NatFlows {
        workers = List.copyOf(workers);
    }

    /** @return flows over all workers */
    public int flowCount() {
        return workers.stream().mapToInt(w -> w.flows().size()).sum();
    }

    /** @return upstream sockets over all workers */
    public int socketCount() {
        return workers.stream().mapToInt(w -> w.sockets().size()).sum();
    }

    /**
     * One worker's upstream sockets and flows.
     *
     * @param sockets its upstream sockets, each family's in place order (0, 1, ...)
     * @param flows   its flows
     */
    public record WorkerFlows(List<UpstreamSocket> sockets, List<FlowEntry> flows) {
        /**
         * @param sockets its upstream sockets, each family's in place order (0, 1, ...)
         * @param flows   its flows
         */
        public WorkerFlows {
            sockets = List.copyOf(sockets);
            flows = List.copyOf(flows);
        }
    }

    /**
     * One upstream socket.
     *
     * @param port    its number in the worker: place in its address family times two, plus one for IPv6
     * @param address the address it is bound to
     * @param fd      its descriptor in the process that holds this record
     */
    public record UpstreamSocket(int port, InetSocketAddress address, int fd) {
    }

    /**
     * One NAT flow.
     *
     * @param client           the client's address
     * @param local            the local address the client sends to
     * @param server           the name of the server it goes to
     * @param target           the socket of that server it goes to (its address or one of its thread sockets)
     * @param port             the upstream socket that carries it ({@link UpstreamSocket#port})
     * @param state            0 unconfirmed, 1 answered, 2 confirmed (the flow's connection-tracker state)
     * @param budgeted         whether it holds a unit of the handshake budget (opened by an unroutable DCID)
     * @param clientIdleMillis milliseconds since the client's last datagram
     * @param idleMillis       milliseconds since the last datagram either way
     */
    public record FlowEntry(InetSocketAddress client, InetSocketAddress local, String server,
                            InetSocketAddress target, int port, int state, boolean budgeted, long clientIdleMillis,
                            long idleMillis) {
    }
}
