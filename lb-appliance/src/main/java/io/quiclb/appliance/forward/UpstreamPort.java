package io.quiclb.appliance.forward;

import io.netty.channel.Channel;

/**
 * One upstream socket of a worker: an unconnected UDP socket bound to a local port, carrying the NAT flows of
 * different targets at once (at most one flow per target, since a target's reply names only the port). Replies
 * are matched to their flow by the sender's address.
 *
 * <p><b>Thread safety:</b> not thread-safe; used only on its worker's event loop.
 */
final class UpstreamPort {
    /** Worker-wide number of the port: the key of its replies. */
    final int index;
    /** Position in its address family's ports: its bit in each target's set of ports in use. */
    final int familyIndex;
    final boolean ipv6;
    Channel channel;
    /** Flows on this port now. */
    int flows;
    boolean flushPending;

    UpstreamPort(int familyIndex, boolean ipv6) {
        this.familyIndex = familyIndex;
        this.ipv6 = ipv6;
        this.index = familyIndex * 2 + (ipv6 ? 1 : 0);
    }

    @Override
    public String toString() {
        return channel == null ? "port#" + index : String.valueOf(channel.localAddress());
    }
}
