package io.quiclb.appliance.forward;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;

/**
 * The handler of one flow's upstream socket: relays each reply from the target to the client. Datagrams the worker
 * fails to send to the target are counted as {@link ForwarderCounter#DROPPED_SEND_FAILED}.
 *
 * <p><b>Thread safety:</b> not {@code @Sharable}; one instance per flow, on its worker's event loop.
 */
final class UpstreamHandler extends WorkerHandler {
    private final Flow flow;

    UpstreamHandler(Worker worker, Flow flow) {
        super(worker, ForwarderCounter.DROPPED_SEND_FAILED);
        this.flow = flow;
    }

    @Override
    void onDatagram(DatagramPacket reply) {
        worker.onReply(flow, reply);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        worker.onReplyBatchEnd(flow);
    }
}
