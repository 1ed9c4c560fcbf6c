package io.quiclb.appliance.forward;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import java.net.InetSocketAddress;
import java.util.concurrent.RejectedExecutionException;

/**
 * The promise of one UDP GSO send, and its own listener. It holds a reference to the gathered buffer until the send
 * completes: on success it lets go; on failure the worker decides ({@link Worker#onGsoSendFailed}, {@link GsoRefusals}) whether the
 * datagrams are sent again one by one ({@link #resendOneByOne}) or dropped. One object per send of two or more
 * datagrams; sends of one datagram keep the void promise.
 *
 * <p><b>Thread safety:</b> completed and listened to on the worker's event loop.
 */
final class GsoSendPromise extends DefaultChannelPromise implements ChannelFutureListener {
    private final Worker worker;
    private final InetSocketAddress target;
    private final int segmentSize;
    private final int segments;
    private ByteBuf gathered;

    /**
     * @param gathered the run's buffer; this promise owns one reference to it
     */
    GsoSendPromise(Channel channel, Worker worker, InetSocketAddress target, ByteBuf gathered, int segmentSize,
                   int segments) {
        super(channel);
        this.worker = worker;
        this.target = target;
        this.gathered = gathered;
        this.segmentSize = segmentSize;
        this.segments = segments;
        addListener(this);
    }

    @Override
    public void operationComplete(ChannelFuture future) {
        if (future.isSuccess()) {
            releaseBuffer();
        } else {
            worker.onGsoSendFailed(this, future.cause());
        }
    }

    InetSocketAddress target() {
        return target;
    }

    int segmentSize() {
        return segmentSize;
    }

    int segments() {
        return segments;
    }

    /** @return the errno of a native send failure (positive), or 0 */
    int errno(Throwable cause) {
        return cause instanceof Errors.NativeIoException error ? -error.expectedErr() : 0;
    }

    void releaseBuffer() {
        if (gathered != null) {
            gathered.release();
            gathered = null;
        }
    }

    /**
     * Sends the run's datagrams again, each on its own, once the send that failed has left the channel's flush
     * (they are written from a task, not from inside it), then lets go of the buffer.
     */
    void resendOneByOne() {
        final Channel channel = channel();
        try {
            channel.eventLoop().execute(this::resendNow);
        } catch (RejectedExecutionException shuttingDown) {
            // The event loop is shutting down: nothing is sent any more.
            worker.counters().add(ForwarderCounter.DROPPED_SEND_FAILED, segments);
            releaseBuffer();
        }
    }

    private void resendNow() {
        final Channel channel = channel();
        final ByteBuf buffer = gathered;
        gathered = null;
        try {
            for (int offset = buffer.readerIndex(), end = buffer.writerIndex(); offset < end; offset += segmentSize) {
                channel.write(new DatagramPacket(buffer.retainedSlice(offset, Math.min(segmentSize, end - offset)),
                        target), channel.voidPromise());
            }
            channel.flush();
        } finally {
            buffer.release();
        }
    }
}
