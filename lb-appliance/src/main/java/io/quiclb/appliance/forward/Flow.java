package io.quiclb.appliance.forward;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.quiclb.appliance.route.ServerHandle;
import java.net.InetSocketAddress;

/**
 * One NAT flow: a client, the listener address it sent to, and the target its datagrams go to, with the
 * upstream UDP socket connected to that target. Replies arriving on the upstream socket go back to the client
 * from the same listener. Owned by the worker that saw the client's first datagram.
 *
 * <p>While the upstream socket is still opening, up to {@value #MAX_PENDING} datagrams wait in the flow.
 *
 * <p><b>Thread safety:</b> not thread-safe; used only on its worker's event loop.
 */
final class Flow {
    static final int MAX_PENDING = 64;

    final InetSocketAddress client;
    final int listener;
    final InetSocketAddress target;
    final ServerHandle server;
    Channel upstream;
    boolean connected;
    boolean closed;
    boolean flushPending;
    /** The run of datagrams being gathered for one GSO send (see {@link GsoRun}); empty between read batches. */
    final GsoRun run = new GsoRun();
    private ByteBuf[] pending;
    private int pendingCount;

    Flow(InetSocketAddress client, int listener, InetSocketAddress target, ServerHandle server) {
        this.client = client;
        this.listener = listener;
        this.target = target;
        this.server = server;
    }

    /**
     * Queues a datagram until the upstream socket is connected.
     *
     * @return false, keeping nothing, when the queue is full
     */
    boolean enqueue(ByteBuf datagram) {
        if (pending == null) {
            pending = new ByteBuf[MAX_PENDING];
        }
        if (pendingCount == MAX_PENDING) {
            return false;
        }
        pending[pendingCount++] = datagram;
        return true;
    }

    /** @return how many datagrams wait */
    int pendingCount() {
        return pendingCount;
    }

    /** @return the i-th waiting datagram, handing it over */
    ByteBuf takePending(int i) {
        ByteBuf datagram = pending[i];
        pending[i] = null;
        return datagram;
    }

    /** Forgets the queue after every datagram has been taken; the array goes too, most flows never need it again. */
    void clearPending() {
        pendingCount = 0;
        pending = null;
    }
}
