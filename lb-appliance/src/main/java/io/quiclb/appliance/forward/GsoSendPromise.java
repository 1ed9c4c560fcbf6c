package io.quiclb.appliance.forward;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.DefaultChannelPromise;

/**
 * The promise of one UDP GSO send, and its own listener: when the send fails, every datagram it carried is counted
 * as dropped, and the worker learns why ({@link Worker#onGsoSendFailed}). One object per send of two or more
 * datagrams; sends of one datagram keep the void promise.
 *
 * <p><b>Thread safety:</b> completed and listened to on the worker's event loop.
 */
final class GsoSendPromise extends DefaultChannelPromise implements ChannelFutureListener {
    private final Worker worker;
    private final int segments;

    GsoSendPromise(Channel channel, Worker worker, int segments) {
        super(channel);
        this.worker = worker;
        this.segments = segments;
        addListener(this);
    }

    @Override
    public void operationComplete(ChannelFuture future) {
        if (!future.isSuccess()) {
            worker.onGsoSendFailed(segments, future.cause());
        }
    }
}
