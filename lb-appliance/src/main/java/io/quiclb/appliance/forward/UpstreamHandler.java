package io.quiclb.appliance.forward;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import java.net.PortUnreachableException;

/**
 * The handler of one flow's upstream socket: relays each reply from the target to the client, and counts failed
 * sends. A closed target port (ICMP port unreachable, reported on the next send or receive) is not a local send
 * failure: the datagram left, as any UDP datagram may be lost on the way.
 *
 * <p><b>Thread safety:</b> not {@code @Sharable}; one instance per flow, on its worker's event loop.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private final Worker worker;
    private final Flow flow;

    UpstreamHandler(Worker worker, Flow flow) {
        this.worker = worker;
        this.flow = flow;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket reply) {
            try {
                worker.onReply(flow, reply);
            } catch (RuntimeException e) {
                worker.onInternalError(e);
            }
        } else {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        worker.onReplyBatchEnd(flow);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof PortUnreachableException)) {
            worker.count(ForwarderCounter.DROPPED_SEND_FAILED);
        }
    }
}
