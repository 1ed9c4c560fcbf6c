package io.quiclb.codec.netty;

import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.quiclb.codec.AesEngine;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.FirstOctet;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.nio.ByteBuffer;

/**
 * A Netty QUIC {@link QuicConnectionIdGenerator} that issues QUIC-LB connection IDs: every CID the server hands
 * out (the handshake SCID, the Retry SCID and every NEW_CONNECTION_ID) encodes this server's ID and this thread's
 * ID, so a QUIC-LB load balancer routes the connection here, to this thread, even after the client migrates
 * (draft-ietf-quic-load-balancers-21 §5.4). Netty's own inputs (the client's CIDs) are ignored.
 *
 * <p>Netty parses short headers with a fixed CID length, so the QUIC codec must be built with
 * {@code localConnectionIdLength(generator.cidLength())}, and a config rotation must keep that length. That length
 * is the configuration's CID length, or {@value CidEncoder#MIN_UNROUTABLE_CID_LENGTH} octets when the configuration's
 * CIDs are shorter: the unroutable (0b111) CIDs issued once nonces run out SHOULD be at least that long (draft-21
 * §3.2), and they must have the codec's length. The octets past a shorter configuration's CID are random: draft-21
 * §5.4 lets a server append octets "for its own use" when every server using the configuration appends the same
 * number, which every generator does; load balancers read only the first 1 + server ID + nonce octets. When the
 * configuration self-encodes its length, the first octet then describes the whole CID. (Unrelated to
 * CIDs but easy to miss: a connection {@code handler(...)} given to the builder is added to every connection, so it
 * must be sharable, e.g. a {@code ChannelInitializer}; a plain handler makes every connection after the first hang.)
 *
 * <pre>{@code
 * QuicLbConfig config = QuicLbConfig.builder(0, 2, 6).key(key).threadIdLength(1).build();
 * QuicLbConnectionIdGenerator ids = new QuicLbConnectionIdGenerator(config, ServerId.fromHex("0a01"), 0);
 * ChannelHandler codec = new QuicServerCodecBuilder()
 *         .sslContext(sslContext)
 *         .localConnectionIdLength(ids.cidLength())
 *         .connectionIdAddressGenerator(ids)
 *         .maxIdleTimeout(30, TimeUnit.SECONDS)
 *         .initialMaxData(1 << 20).initialMaxStreamsBidirectional(100)
 *         .streamHandler(streamInitializer)
 *         .build();
 * new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec).bind(4433).sync();
 * // Rotation: ids.update(newConfig, newServerId) once the load balancers have newConfig; RotationDrain also
 * // drains the live connections still on the old configuration, paced (draft-21 §3.1).
 * }</pre>
 *
 * <p><b>Thread safety:</b> thread-safe (methods are synchronized; calls are rare, once per CID issued). Give each
 * thread of a server its own generator with its own thread ID, so their nonces never collide.
 */
public final class QuicLbConnectionIdGenerator implements QuicConnectionIdGenerator {
    private final CidEncoder encoder;
    private final int cidLength;
    private final java.security.SecureRandom appended = new java.security.SecureRandom();

    /**
     * @param config   the configuration to issue CIDs with
     * @param serverId this server's ID in it
     * @param threadId this thread's ID (0 when the configuration has no thread ID)
     */
    public QuicLbConnectionIdGenerator(QuicLbConfig config, ServerId serverId, int threadId) {
        this(new CidEncoder(config, serverId, threadId, AesEngine.JDK));
    }

    /**
     * @param encoder an encoder this generator alone uses from now on
     */
    public QuicLbConnectionIdGenerator(CidEncoder encoder) {
        this.encoder = encoder;
        this.cidLength = paddedLength(encoder.cidLength());
    }

    private static int paddedLength(int configCidLength) {
        return Math.max(configCidLength, CidEncoder.MIN_UNROUTABLE_CID_LENGTH);
    }

    /** @return the length of every CID issued: pass it to {@code localConnectionIdLength} */
    public int cidLength() {
        return cidLength;
    }

    /**
     * Issues CIDs of a new configuration from now on, never of the old one (draft-21 §3.1). Live connections keep
     * the CIDs they hold; {@link RotationDrain} also moves or drains them.
     *
     * @param config   the new configuration
     * @param serverId this server's ID in it
     * @throws IllegalArgumentException when its CID length differs from {@link #cidLength()}
     */
    public synchronized void update(QuicLbConfig config, ServerId serverId) {
        requireLength(config);
        encoder.update(config, serverId);
    }

    /**
     * Names the configuration to switch to when the current one runs out of nonces.
     *
     * @param config   the next configuration
     * @param serverId this server's ID in it
     * @throws IllegalArgumentException when its CID length differs from {@link #cidLength()}
     */
    public synchronized void setNextConfig(QuicLbConfig config, ServerId serverId) {
        requireLength(config);
        encoder.setNextConfig(config, serverId);
    }

    /** @return the configuration CIDs come from now, or null once nonces ran out (0b111 CIDs, draft-21 §3.2) */
    public synchronized QuicLbConfig config() {
        return encoder.config();
    }

    @Override
    public synchronized ByteBuffer newId(int length) {
        if (length != cidLength) {
            // Netty asks for its localConnectionIdLength; anything else is a server set up against the javadoc.
            throw new IllegalArgumentException("must equal cidLength=" + cidLength + " (set localConnectionIdLength"
                    + " to it): length=" + length);
        }
        byte[] cid = new byte[cidLength];
        int written = encoder.encode(cid, 0);
        if (written < cidLength) {
            // A configuration with CIDs shorter than 8 octets: random appended octets (draft-21 §5.4).
            byte[] tail = new byte[cidLength - written];
            appended.nextBytes(tail);
            System.arraycopy(tail, 0, cid, written, tail.length);
            QuicLbConfig config = encoder.config();
            if (config != null && config.lengthSelfEncoded()) {
                cid[0] = FirstOctet.of(config.configId(), cidLength - 1);
            }
        }
        return ByteBuffer.wrap(cid);
    }

    @Override
    public ByteBuffer newId(ByteBuffer input, int length) {
        return newId(length);
    }

    @Override
    public ByteBuffer newId(ByteBuffer scid, ByteBuffer dcid, int length) {
        return newId(length);
    }

    @Override
    public int maxConnectionIdLength() {
        return cidLength;
    }

    @Override
    public boolean isIdempotent() {
        return false;
    }

    /** @throws IllegalArgumentException when {@code config}'s padded CID length differs from {@link #cidLength()} */
    void requireLength(QuicLbConfig config) {
        if (paddedLength(config.cidLength()) != cidLength) {
            throw new IllegalArgumentException("must keep cidLength=" + cidLength + " (the QUIC codec's"
                    + " localConnectionIdLength; configurations shorter than " + CidEncoder.MIN_UNROUTABLE_CID_LENGTH
                    + " octets are padded to it): config.cidLength=" + config.cidLength());
        }
    }
}
