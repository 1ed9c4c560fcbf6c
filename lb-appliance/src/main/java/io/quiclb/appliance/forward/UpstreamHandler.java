package io.quiclb.appliance.forward;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;

/**
 * The handler of one upstream port's socket: hands each reply to the worker, which finds its flow by the sender.
 * Datagrams the worker fails to send to a target are counted as {@link ForwarderCounter#DROPPED_SEND_FAILED}.
 *
 * <p><b>Thread safety:</b> not {@code @Sharable}; one instance per upstream socket, on its worker's event loop.
 */
final class UpstreamHandler extends WorkerHandler {
    private final UpstreamPort port;

    UpstreamHandler(Worker worker, UpstreamPort port) {
        super(worker, ForwarderCounter.DROPPED_SEND_FAILED);
        this.port = port;
    }

    @Override
    void onDatagram(DatagramPacket reply) {
        worker.onReply(port, reply);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        worker.onReplyBatchEnd();
    }
}
