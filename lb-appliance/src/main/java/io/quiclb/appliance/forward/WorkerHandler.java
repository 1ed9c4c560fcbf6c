package io.quiclb.appliance.forward;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.PortUnreachableException;

/**
 * What the two handlers of a worker's sockets share: hand each datagram to the worker, turn an exception on the
 * data path into a counted internal error rather than let it reach the pipeline, and count failed sends and
 * receives ({@link Worker#onSocketError}). Writes use the void promise, so a failed send is reported through
 * {@link #exceptionCaught}; so is a failed receive. An ICMP port unreachable (only connected sockets see one) is
 * not a local failure.
 *
 * <p><b>Thread safety:</b> not {@code @Sharable}; one instance per socket, on its worker's event loop.
 */
abstract class WorkerHandler extends ChannelInboundHandlerAdapter {
    protected final Worker worker;
    private final ForwarderCounter sendFailure;

    WorkerHandler(Worker worker, ForwarderCounter sendFailure) {
        this.worker = worker;
        this.sendFailure = sendFailure;
    }

    /** One datagram arrived on this socket; takes ownership of it. */
    abstract void onDatagram(DatagramPacket packet);

    @Override
    public final void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket packet) {
            try {
                onDatagram(packet);
            } catch (RuntimeException e) {
                worker.onInternalError(e);
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public final void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof PortUnreachableException)) {
            worker.onSocketError(sendFailure, cause);
        }
    }
}
