package io.quiclb.appliance.forward;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import java.net.InetSocketAddress;

/**
 * The handler of one listener socket of one worker: hands each client datagram to the worker with the number of
 * the local address it was sent to (splitting a UDP GRO receive back into the datagrams the client sent), and tells
 * it when a read batch ends so it can flush. A socket bound to a specific address knows that number; a wildcard
 * socket asks {@link Destinations} for the datagram's destination, which opens a socket of the worker for it.
 * Replies the worker sends through this socket and fails to send are counted as
 * {@link ForwarderCounter#DROPPED_REPLY_SEND_FAILED}.
 *
 * <p><b>Thread safety:</b> not {@code @Sharable}; one instance per listener socket, on its worker's event loop.
 */
final class ListenerHandler extends WorkerHandler {
    private final int local;
    private final Destinations destinations;

    /** The handler of a socket bound to the local address numbered {@code local}. */
    ListenerHandler(Worker worker, int local) {
        this(worker, local, null);
    }

    /** The handler of a wildcard socket: each datagram's destination gives its local address. */
    ListenerHandler(Worker worker, Destinations destinations) {
        this(worker, -1, destinations);
    }

    private ListenerHandler(Worker worker, int local, Destinations destinations) {
        super(worker, ForwarderCounter.DROPPED_REPLY_SEND_FAILED);
        this.local = local;
        this.destinations = destinations;
    }

    @Override
    void onDatagram(DatagramPacket packet) {
        int listener = local;
        if (destinations != null) {
            InetSocketAddress destination = packet.recipient();
            listener = destination == null || destination.getAddress().isAnyLocalAddress() ? -1
                    : destinations.localFor(worker, destination);
            if (listener < 0) {
                destinations.unknownDestination();
                worker.onUnknownDestination(packet, datagrams(packet));
                return;
            }
        }
        if (packet instanceof SegmentedDatagramPacket coalesced
                && coalesced.content().readableBytes() > coalesced.segmentSize()) {
            splitCoalesced(coalesced, listener);
            return;
        }
        worker.onDatagram(listener, packet);
    }

    /** @return how many client datagrams a receive holds: more than one when UDP GRO coalesced them */
    private static int datagrams(DatagramPacket packet) {
        if (packet instanceof SegmentedDatagramPacket coalesced && coalesced.segmentSize() > 0) {
            int length = coalesced.content().readableBytes();
            return Math.max(1, (length + coalesced.segmentSize() - 1) / coalesced.segmentSize());
        }
        return 1;
    }

    /**
     * A UDP GRO receive: the kernel coalesced a client's back-to-back datagrams of one size (the last may be shorter)
     * into one buffer. Each original datagram goes on as a slice of it, in order, with its own envelope, as the
     * transport would have delivered it.
     */
    private void splitCoalesced(SegmentedDatagramPacket coalesced, int listener) {
        final ByteBuf content = coalesced.content();
        final int segmentSize = coalesced.segmentSize();
        final InetSocketAddress recipient = coalesced.recipient();
        final InetSocketAddress sender = coalesced.sender();
        try {
            while (content.isReadable()) {
                ByteBuf segment = content.readRetainedSlice(Math.min(segmentSize, content.readableBytes()));
                worker.onDatagram(listener, new DatagramPacket(segment, recipient, sender));
            }
        } finally {
            coalesced.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        worker.onReadBatchEnd();
    }
}
