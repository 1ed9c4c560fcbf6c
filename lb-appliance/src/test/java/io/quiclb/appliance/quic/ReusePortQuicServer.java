package io.quiclb.appliance.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.netty.util.concurrent.EventExecutor;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import io.quiclb.codec.netty.QuicLbCodecDispatcher;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Netty QUIC server for tests with several SO_REUSEPORT sockets on one port, one per event loop, behind the
 * codec's {@link QuicLbCodecDispatcher}: socket {@code i} issues CIDs with thread ID {@code i}, and the dispatcher
 * hands every short-header datagram to the socket whose thread its DCID names. Answers like {@link TestQuicServer}.
 */
final class ReusePortQuicServer implements AutoCloseable {
    final QuicLbCodecDispatcher dispatcher;
    private final List<Channel> channels = new ArrayList<>();

    /**
     * @param group an epoll group with at least {@code threads} event loops
     */
    ReusePortQuicServer(String name, QuicLbConfig config, ServerId serverId, EventLoopGroup group, int threads)
            throws Exception {
        this(name, config, serverId, group, threads, QuicLbCodecDispatcher.DEFAULT_MAX_PENDING_HAND_OVERS);
    }

    /**
     * @param maxPendingHandOvers the dispatcher's bound on hand-overs queued at an owner's event loop
     */
    ReusePortQuicServer(String name, QuicLbConfig config, ServerId serverId, EventLoopGroup group, int threads,
                        int maxPendingHandOvers) throws Exception {
        AtomicInteger initialised = new AtomicInteger();
        dispatcher = new QuicLbCodecDispatcher(config, serverId, maxPendingHandOvers) {
            @Override
            protected void initChannel(Channel channel, int localConnectionIdLength,
                                       QuicConnectionIdGenerator idGenerator) throws Exception {
                // Netty numbers the channels in the order their handlers are added, and the sockets below are
                // bound one after the other, so this is the channel's index and thread ID.
                int thread = initialised.getAndIncrement();
                channel.pipeline().addLast(TestQuicServer.codec(name, thread, localConnectionIdLength, idGenerator));
            }
        };
        Iterator<EventExecutor> loops = group.iterator();
        int port = 0;
        for (int i = 0; i < threads; i++) {
            Channel channel = new Bootstrap().group((EventLoopGroup) loops.next()).channel(EpollDatagramChannel.class)
                    .option(EpollChannelOption.SO_REUSEPORT, true)
                    .handler(dispatcher)
                    .bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
            port = ((InetSocketAddress) channel.localAddress()).getPort();
            channels.add(channel);
        }
    }

    InetSocketAddress address() {
        return (InetSocketAddress) channels.get(0).localAddress();
    }

    @Override
    public void close() {
        channels.forEach(channel -> channel.close().syncUninterruptibly());
    }
}
