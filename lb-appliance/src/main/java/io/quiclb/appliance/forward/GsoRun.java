package io.quiclb.appliance.forward;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The datagrams of one flow gathered during one read batch for a single UDP GSO send ({@code UDP_SEGMENT}): the
 * kernel splits the buffer into datagrams of {@link #segmentSize()} octets, the last one possibly shorter, so a run
 * of n datagrams costs one trip through the socket layer instead of n. A run takes datagrams while they have the
 * run's size, or one shorter datagram that then closes it, up to {@value #MAX_SEGMENTS} datagrams and
 * {@value #MAX_BYTES} octets.
 *
 * <p>The first datagram is held as it arrived; only a second one makes the run copy both into one pooled buffer,
 * so a lone datagram is sent as before, without a copy.
 *
 * <p><b>Hot path.</b> <b>Thread safety:</b> not thread-safe; owned by its flow, on the worker's event loop.
 */
final class GsoRun {
    /** Datagrams per GSO send at most (the kernel's UDP_MAX_SEGMENTS is 64 on older kernels, 128 on newer). */
    static final int MAX_SEGMENTS = 64;
    /** Octets per GSO send at most: below the 65,507-octet UDP payload limit of IPv4. */
    static final int MAX_BYTES = 65_000;

    private ByteBuf first;
    private ByteBuf gathered;
    private int segmentSize;
    private int segments;
    private boolean closed;

    /** @return datagrams in the run */
    int segments() {
        return segments;
    }

    /** @return the size of every datagram of the run but possibly the last */
    int segmentSize() {
        return segmentSize;
    }

    /**
     * Adds a datagram if the run can take it, taking ownership of it.
     *
     * @return false, changing nothing, when the run is full or the datagram does not fit its shape: send the run
     *         and start a new one
     */
    boolean offer(ByteBuf datagram, ByteBufAllocator allocator) {
        final int length = datagram.readableBytes();
        if (segments == 0) {
            first = datagram;
            segmentSize = length;
            segments = 1;
            closed = false;
            return true;
        }
        if (closed || length > segmentSize || length == 0 || segments == MAX_SEGMENTS
                || (segments + 1) * segmentSize > MAX_BYTES) {
            return false;
        }
        if (gathered == null) {
            gathered = allocator.directBuffer(segmentSize * Math.min(MAX_SEGMENTS, MAX_BYTES / segmentSize));
            gathered.writeBytes(first);
            first.release();
            first = null;
        }
        gathered.writeBytes(datagram);
        datagram.release();
        segments++;
        closed = length < segmentSize;
        return true;
    }

    /** @return the lone datagram of a one-datagram run, handing it over and emptying the run; else null */
    ByteBuf takeSingle() {
        if (segments != 1) {
            return null;
        }
        ByteBuf single = first;
        first = null;
        segments = 0;
        return single;
    }

    /** @return the gathered buffer of a run of two or more, handing it over and emptying the run */
    ByteBuf takeGathered() {
        ByteBuf buffer = gathered;
        gathered = null;
        segments = 0;
        return buffer;
    }

    /**
     * Releases whatever the run holds; for a flow that closes in the middle of a batch.
     *
     * @return how many datagrams were released unsent
     */
    int discard() {
        int discarded = segments;
        if (first != null) {
            first.release();
            first = null;
        }
        if (gathered != null) {
            gathered.release();
            gathered = null;
        }
        segments = 0;
        return discarded;
    }
}
