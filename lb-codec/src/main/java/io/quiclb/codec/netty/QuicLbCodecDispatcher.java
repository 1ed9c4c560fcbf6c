package io.quiclb.codec.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.quic.QuicCodecDispatcher;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.quiclb.codec.CidDecoder;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Netty {@link QuicCodecDispatcher} for a server that binds several SO_REUSEPORT channels on one port, one per
 * event loop: channel {@code i} issues QUIC-LB CIDs whose thread ID is {@code i}, and every datagram goes to the
 * channel its DCID's thread ID names. So when a client migrates and the kernel hashes its new 4-tuple to another
 * socket, its packets still reach the thread that owns the connection (draft-21 §7.2). Datagrams whose DCID does
 * not decode (first flights with client-chosen DCIDs, other configurations) are handled where they landed.
 *
 * <p><b>The hand-over is bounded.</b> A datagram moved to another channel becomes a task on that channel's event loop
 * (Netty's dispatcher fires it there), and forged short headers that decode to this server with another thread ID
 * could queue one task each, without end. So a datagram is moved only while the owner's event loop has fewer than
 * {@code maxPendingHandOvers} tasks waiting; otherwise it is handled where it landed, where the QUIC codec finds no
 * connection for its DCID and drops it (Netty QUIC sends no stateless reset), counted per channel
 * ({@link #droppedFull(int)}). Long headers are never moved: Netty's dispatcher reads the DCID of short headers only.
 * Each channel counts what it moved out, what was moved in to it, and what it refused ({@link #movedIn(int)},
 * {@link #movedOut(int)}). The owner's event loop is learnt when its channel registers, so add the dispatcher before
 * the channel registers (as {@code Bootstrap.handler} does); until then, hand-overs to it are not bounded.
 *
 * <p>The configuration must carry a thread ID ({@link QuicLbConfig#threadIdLength()} &gt; 0) wide enough for the
 * channels, and its CIDs must be 10..20 octets long, which Netty's dispatcher requires. Subclasses build each
 * channel's QUIC codec in {@link #initChannel} with the generator given.
 *
 * <p><b>Thread safety:</b> sharable, as Netty requires: every channel's event loop calls it. Each thread decodes
 * with its own {@link CidDecoder}; the counters are {@link LongAdder}s.
 */
public abstract class QuicLbCodecDispatcher extends QuicCodecDispatcher {
    /**
     * The index meaning "handle it on the channel it arrived on". Netty 4.2.18 dispatches to channel {@code i}
     * whenever {@code i < channels}, so -1 would be taken as a channel number (and fail); any index at or above the
     * number of channels falls back instead.
     */
    static final int HANDLE_WHERE_LANDED = Integer.MAX_VALUE;
    /** The shortest local CID Netty 4.2.18's QuicCodecDispatcher accepts. */
    static final int MIN_CID_LENGTH = 10;

    private final QuicLbConfig config;
    private final ServerId serverId;
    private final ThreadLocal<DecodeState> decoders;
    private final LongAdder dispatched = new LongAdder();
    private final LongAdder movedToOwner = new LongAdder();
    private final LongAdder handledWhereLanded = new LongAdder();
    private final LongAdder droppedFull = new LongAdder();
    private final int maxPendingHandOvers;
    /** Per channel index: its event loop and counters; null until the channel registers. */
    private final AtomicReferenceArray<ChannelStats> channels;

    /** Tasks a channel's event loop may have waiting before hand-overs to it are dropped, by default. */
    public static final int DEFAULT_MAX_PENDING_HAND_OVERS = 1024;

    /**
     * @param config   the configuration, with a thread ID
     * @param serverId this server's ID in it
     * @throws IllegalArgumentException when the configuration has no thread ID
     */
    protected QuicLbCodecDispatcher(QuicLbConfig config, ServerId serverId) {
        this(config, serverId, DEFAULT_MAX_PENDING_HAND_OVERS);
    }

    /**
     * @param config              the configuration, with a thread ID
     * @param serverId            this server's ID in it
     * @param maxPendingHandOvers tasks an owner's event loop may have waiting before a datagram is no longer moved
     *                            to it but dropped, 1..1048576
     * @throws IllegalArgumentException when the configuration has no thread ID, or the bound is out of range
     */
    protected QuicLbCodecDispatcher(QuicLbConfig config, ServerId serverId, int maxPendingHandOvers) {
        super(checkedCidLength(config));
        if (maxPendingHandOvers < 1 || maxPendingHandOvers > 1 << 20) {
            throw new IllegalArgumentException("must be 1..1048576: maxPendingHandOvers=" + maxPendingHandOvers);
        }
        this.config = config;
        this.serverId = serverId;
        this.maxPendingHandOvers = maxPendingHandOvers;
        this.channels = new AtomicReferenceArray<>(1 << Math.min(16, 8 * config.threadIdLength()));
        this.decoders = ThreadLocal.withInitial(() -> new DecodeState(new CidDecoder(config)));
    }

    private static int checkedCidLength(QuicLbConfig config) {
        if (config.threadIdLength() == 0) {
            throw new IllegalArgumentException("must be > 0 to dispatch by thread ID: threadIdLength=0");
        }
        if (config.cidLength() < MIN_CID_LENGTH) {
            throw new IllegalArgumentException("must be " + MIN_CID_LENGTH + "..20 for Netty's QuicCodecDispatcher:"
                    + " cidLength=" + config.cidLength());
        }
        return config.cidLength();
    }

    @Override
    protected final QuicConnectionIdGenerator newIdGenerator(int index) {
        // Netty asks on the new channel's event loop: remember which channel this thread reads.
        decoders.get().channelIndex = index;
        return new QuicLbConnectionIdGenerator(config, serverId, index);
    }

    /** Learns the event loop of the channel that registers: the one whose index {@link #newIdGenerator} was given. */
    @Override
    public void channelRegistered(ChannelHandlerContext ctx) throws Exception {
        int index = decoders.get().channelIndex;
        if (index >= 0 && index < channels.length()) {
            channels.compareAndSet(index, null, new ChannelStats(ctx.executor()));
        }
        super.channelRegistered(ctx);
    }

    @Override
    protected final int decodeIndex(ByteBuf dcid) {
        if (dcid == null) {
            handledWhereLanded.increment();
            return HANDLE_WHERE_LANDED;
        }
        DecodeState state = decoders.get();
        int length = Math.min(dcid.readableBytes(), state.cid.length);
        dcid.getBytes(dcid.readerIndex(), state.cid, 0, length);
        int result = state.decoder.decode(state.cid, 0, length, state.serverId, 0);
        if (result > 0 && serverId.matches(state.serverId, 0, result)) {
            int owner = state.decoder.threadId();
            dispatched.increment();
            if (owner != state.channelIndex) {
                ChannelStats target = owner < channels.length() ? channels.get(owner) : null;
                if (target != null && target.full(maxPendingHandOvers)) {
                    target.droppedFull.increment();
                    droppedFull.increment();
                    return HANDLE_WHERE_LANDED; // the QUIC codec here finds no connection for it and drops it
                }
                movedToOwner.increment();
                if (target != null) {
                    target.movedIn.increment();
                }
                ChannelStats here = state.channelIndex >= 0 ? channels.get(state.channelIndex) : null;
                if (here != null) {
                    here.movedOut.increment();
                }
            }
            return owner;
        }
        handledWhereLanded.increment();
        return HANDLE_WHERE_LANDED;
    }

    /** @return datagrams sent to the channel their DCID's thread ID names (the one they arrived on included) */
    public long dispatched() {
        return dispatched.sum();
    }

    /**
     * @return datagrams that arrived on one channel and went to another, the one owning their connection (after a
     *         migration, the kernel may hash the new 4-tuple to another socket)
     */
    public long movedToOwner() {
        return movedToOwner.sum();
    }

    /** @return datagrams whose DCID did not decode to this server, handled on the channel they arrived on */
    public long handledWhereLanded() {
        return handledWhereLanded.sum();
    }

    /**
     * @return datagrams that would have been moved to a channel whose event loop had {@code maxPendingHandOvers}
     *         tasks waiting, and were dropped instead, over all channels
     */
    public long droppedFull() {
        return droppedFull.sum();
    }

    /**
     * @param channel a channel's index (its thread ID)
     * @return datagrams other channels moved to it
     */
    public long movedIn(int channel) {
        ChannelStats stats = stats(channel);
        return stats == null ? 0 : stats.movedIn.sum();
    }

    /**
     * @param channel a channel's index
     * @return datagrams it moved to other channels
     */
    public long movedOut(int channel) {
        ChannelStats stats = stats(channel);
        return stats == null ? 0 : stats.movedOut.sum();
    }

    /**
     * @param channel a channel's index
     * @return datagrams that would have been moved to it and were dropped because its event loop was full
     */
    public long droppedFull(int channel) {
        ChannelStats stats = stats(channel);
        return stats == null ? 0 : stats.droppedFull.sum();
    }

    private ChannelStats stats(int channel) {
        return channel >= 0 && channel < channels.length() ? channels.get(channel) : null;
    }

    /** A channel's event loop and its hand-over counters. */
    private static final class ChannelStats {
        final EventExecutor executor;
        final LongAdder movedIn = new LongAdder();
        final LongAdder movedOut = new LongAdder();
        final LongAdder droppedFull = new LongAdder();

        ChannelStats(EventExecutor executor) {
            this.executor = executor;
        }

        /** @return whether its event loop has {@code max} tasks or more waiting (executors that cannot say: never) */
        boolean full(int max) {
            return executor instanceof SingleThreadEventExecutor loop && loop.pendingTasks() >= max;
        }
    }

    /** One thread's decoder and scratch arrays. */
    private static final class DecodeState {
        final CidDecoder decoder;
        final byte[] cid = new byte[20];
        final byte[] serverId = new byte[QuicLbConfig.MAX_SERVER_ID_LENGTH];
        int channelIndex = -1;

        DecodeState(CidDecoder decoder) {
            this.decoder = decoder;
        }
    }
}
