package io.quiclb.appliance.forward;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;

/**
 * The handler of one listener socket of one worker: hands each client datagram to the worker, and tells it when
 * a read batch ends so it can flush. Replies the worker sends through this socket and fails to send are counted
 * as {@link ForwarderCounter#DROPPED_REPLY_SEND_FAILED}.
 *
 * <p><b>Thread safety:</b> not {@code @Sharable}; one instance per listener socket, on its worker's event loop.
 */
final class ListenerHandler extends WorkerHandler {
    private final int listener;

    ListenerHandler(Worker worker, int listener) {
        super(worker, ForwarderCounter.DROPPED_REPLY_SEND_FAILED);
        this.listener = listener;
    }

    @Override
    void onDatagram(DatagramPacket packet) {
        worker.onDatagram(listener, packet);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        worker.onReadBatchEnd();
    }
}
