package io.quiclb.appliance.forward;

import io.quiclb.appliance.route.Placement;
import java.net.InetSocketAddress;

/**
 * One NAT flow: a client, the local address it sent to, and the placement its datagrams go to (a server and one of
 * its sockets), carried by one of the worker's upstream ports. Replies arriving at that port from the target go
 * back to the client from the same local address. Owned by the worker that saw the client's first datagram.
 *
 * <p>A flow is <em>unconfirmed</em> until the client sends again after the target has answered, like a connection
 * tracker's: until then only the client's datagrams keep it alive (a server that retransmits to a spoofed address
 * does not), and it may be evicted to make room. Unconfirmed flows of a worker form a list, oldest client activity
 * first ({@link #older}, {@link #newer}).
 *
 * <p><b>Thread safety:</b> not thread-safe; used only on its worker's event loop.
 */
final class Flow {
    /** Opened by a client datagram; the target has not answered yet. */
    static final byte UNCONFIRMED = 0;
    /** The target answered; the client has not sent since. */
    static final byte ANSWERED = 1;
    /** The client sent after the target answered. */
    static final byte CONFIRMED = 2;

    final InetSocketAddress client;
    final int local;
    final Placement placement;
    final InetSocketAddress target;
    final UpstreamPort port;
    /** The run of datagrams being gathered for one GSO send (see {@link GsoRun}); empty between read batches. */
    final GsoRun run = new GsoRun();
    byte state = UNCONFIRMED;
    /** Whether the flow holds a unit of the handshake budget (it was opened by an unroutable DCID). */
    boolean budgeted;
    boolean closed;
    boolean flushPending;
    /** Whether this flow's runs may go out as GSO sends (false once the kernel refused one on its path). */
    boolean gso;
    /** Monotonic nanoseconds of the client's last datagram. */
    long lastClient;
    /** Monotonic nanoseconds of the last datagram either way. */
    long lastActivity;
    /**
     * What the fallback decision that opened this flow recorded in the §4.2 tables ({@code Router.decidedIds}), to
     * forget if the flow closes unconfirmed; null once confirmed, or when it was not opened by the fallback.
     */
    byte[] firstFlightIds;
    /** When the 4-tuple table last learned this flow's placement. */
    long tupleRecorded;
    Flow older;
    Flow newer;

    Flow(InetSocketAddress client, int local, Placement placement, UpstreamPort port, long now) {
        this.client = client;
        this.local = local;
        this.placement = placement;
        this.target = placement.target();
        this.port = port;
        this.lastClient = now;
        this.lastActivity = now;
    }
}
