package io.quiclb.appliance.forward;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import java.net.InetSocketAddress;

/**
 * Opens one listener socket on a worker's event loop: a new one, bound there, or one inherited from the appliance
 * taken over, adopted as it is (already bound). Either way it gets the listener's receive buffer, batched receives
 * and transport options, and its handler. An adopted socket is not read until the takeover hands the flows over
 * ({@link ForwarderHandover#resumeReading}).
 *
 * <p><b>Thread safety:</b> stateless; called on the worker's event loop, where registering and binding complete at
 * once.
 */
final class ListenerOpener {
    /** Receive slots per batched read. */
    static final int RECEIVE_BATCH = 16;
    private static final int LISTENER_RCVBUF = 4 << 20;

    /**
     * @param maxDatagramSize forwarder.maxDatagramSize
     * @param gro             whether the listener takes UDP GRO receives
     * @param wildcard        whether it is bound to a wildcard address
     */
    record Options(int maxDatagramSize, boolean gro, boolean wildcard) {
    }

    private ListenerOpener() {
    }

    /**
     * @param fd      an inherited socket bound to {@code address} to adopt, or null to bind a new one
     * @param handler its handler, or null to add one later
     * @return the socket, registered on the worker's event loop and bound
     */
    static Channel open(Transport transport, Worker worker, InetSocketAddress address, Integer fd,
                        ListenerHandler handler, Options options) throws Exception {
        int slot = transport.receiveSlot(options.maxDatagramSize(), options.gro());
        DatagramChannel channel = fd != null ? transport.adopt(fd) : transport.channelFactory(address).newChannel();
        try {
            channel.config().setOption(ChannelOption.SO_RCVBUF, LISTENER_RCVBUF);
            channel.config().setOption(ChannelOption.RECVBUF_ALLOCATOR, allocator(transport, options.gro(), slot));
            transport.configureListener(channel.config(), options.maxDatagramSize(), options.gro(),
                    options.wildcard());
            if (handler != null) {
                channel.pipeline().addLast(handler);
            }
            if (fd != null) {
                // The appliance taken over reads it until it hands its flows over (ForwarderHandover.resumeReading).
                channel.config().setAutoRead(false);
            }
        } catch (RuntimeException e) {
            channel.unsafe().closeForcibly();
            throw e;
        }
        ChannelFuture registered = worker.eventLoop().register(channel);
        if (!registered.isSuccess()) {
            channel.unsafe().closeForcibly();
            throw new IllegalStateException("listener " + address + ": register failed", registered.cause());
        }
        if (fd != null) {
            return channel; // already bound: the appliance taken over bound it
        }
        ChannelFuture bound = channel.bind(address);
        if (!bound.isSuccess()) {
            channel.close();
            Throwable cause = bound.cause();
            throw cause instanceof Exception e ? e : new IllegalStateException(cause);
        }
        return channel;
    }

    /**
     * Batched receives (recvmmsg, {@value #RECEIVE_BATCH} slots of one datagram each), or with GRO one coalesced
     * receive per slot-sized buffer: Netty's batched receive hands a coalesced receive on unsplit, so GRO takes the
     * one-message path, and reads on while datagrams wait rather than stopping when one did not fill its buffer.
     */
    private static FixedRecvByteBufAllocator allocator(Transport transport, boolean gro, int slot) {
        if (gro) {
            FixedRecvByteBufAllocator allocator = new FixedRecvByteBufAllocator(slot);
            allocator.respectMaybeMoreData(false);
            allocator.maxMessagesPerRead(RECEIVE_BATCH);
            return allocator;
        }
        return new FixedRecvByteBufAllocator(transport.reusePort() ? slot * RECEIVE_BATCH : slot);
    }
}
