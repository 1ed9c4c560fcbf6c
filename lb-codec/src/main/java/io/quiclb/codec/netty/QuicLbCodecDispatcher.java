package io.quiclb.codec.netty;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.quic.QuicCodecDispatcher;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.quiclb.codec.CidDecoder;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Netty {@link QuicCodecDispatcher} for a server that binds several SO_REUSEPORT channels on one port, one per
 * event loop: channel {@code i} issues QUIC-LB CIDs whose thread ID is {@code i}, and every datagram goes to the
 * channel its DCID's thread ID names. So when a client migrates and the kernel hashes its new 4-tuple to another
 * socket, its packets still reach the thread that owns the connection (draft-21 §7.2). Datagrams whose DCID does
 * not decode (first flights with client-chosen DCIDs, other configurations) are handled where they landed.
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

    /**
     * @param config   the configuration, with a thread ID
     * @param serverId this server's ID in it
     * @throws IllegalArgumentException when the configuration has no thread ID
     */
    protected QuicLbCodecDispatcher(QuicLbConfig config, ServerId serverId) {
        super(checkedCidLength(config));
        this.config = config;
        this.serverId = serverId;
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
                movedToOwner.increment();
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
