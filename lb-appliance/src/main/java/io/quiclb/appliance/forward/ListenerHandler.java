package io.quiclb.appliance.forward;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import java.net.PortUnreachableException;

/**
 * The handler of one listener socket of one worker: hands each client datagram to the worker, and tells it when
 * a read batch ends so it can flush. Failures to send replies surface here and are counted.
 *
 * <p><b>Thread safety:</b> not {@code @Sharable}; one instance per listener socket, on its worker's event loop.
 */
final class ListenerHandler extends ChannelInboundHandlerAdapter {
    private final Worker worker;
    private final int listener;

    ListenerHandler(Worker worker, int listener) {
        this.worker = worker;
        this.listener = listener;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket packet) {
            try {
                worker.onDatagram(listener, packet);
            } catch (RuntimeException e) {
                worker.onInternalError(e);
            }
        } else {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        worker.onReadBatchEnd();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Writes use the void promise, so a failed reply send is reported here; channelRead catches its own.
        if (!(cause instanceof PortUnreachableException)) {
            worker.count(ForwarderCounter.DROPPED_REPLY_SEND_FAILED);
        }
    }
}
