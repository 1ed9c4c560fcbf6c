package io.quiclb.codec;

import java.security.SecureRandom;

/**
 * Server side of QUIC-LB: issues connection IDs that encode this server's ID and the issuing thread's ID
 * (draft-21 §5.4 "Server Actions").
 *
 * <p>The plaintext block is {@code serverId | threadId | counter}: the thread ID (our extension of §7.2, see
 * {@link QuicLbConfig}) keeps nonces of different threads apart without coordination, and the counter keeps the
 * nonces of one thread apart. Each counter starts at a random value and is never reused under one key
 * (§5.4, §9.6). With a key, the block is then encrypted, which hides the counter. Without a key the draft requires
 * nonces with "no observable relationship" to earlier ones, so the counter is first permuted with the four-pass
 * cipher under a key local to this encoder: nonces stay unique, and look random to anyone else.
 *
 * <p>When a counter is exhausted the encoder switches to the configuration given to {@link #setNextConfig}, or,
 * without one, issues unroutable CIDs: config ID 0b111, the length self-encoded, the rest random (§3.2, §9.6), as
 * long as the last configuration's CIDs but never shorter than {@value #MIN_UNROUTABLE_CID_LENGTH} octets (§3.2:
 * they SHOULD be at least 8 octets, so 7 random octets make collisions unlikely).
 * After {@link #update} it never issues a CID of the old configuration again (§3.1).
 *
 * <pre>{@code
 * CidEncoder encoder = new CidEncoder(config, ServerId.fromHex("0a01"), threadIndex);  // one per thread
 * byte[] cid = new byte[encoder.cidLength()];
 * encoder.encode(cid, 0);
 * }</pre>
 *
 * <p>{@link #encode} allocates nothing and never throws. The first octet's low five bits are the CID length minus
 * one when the configuration self-encodes its length, else random bits from an AES keystream under a local key.
 *
 * <p><b>Thread safety:</b> not thread-safe; one instance per thread. Nonces stay unique across the threads of a
 * server only when each thread's encoder has a different thread ID.
 */
public final class CidEncoder {
    /** Result of {@link #encode}: the destination has no room for the CID; nothing was issued. */
    public static final int DESTINATION_TOO_SMALL = -1;
    /**
     * The shortest unroutable (0b111) CID issued: draft-21 §3.2, "The connection ID SHOULD be of at least length 8 to
     * provide 7 bytes of entropy after the first octet".
     */
    public static final int MIN_UNROUTABLE_CID_LENGTH = 8;

    private final AesEngine engine;
    private final RandomSource random;
    private final int threadId;
    private final AesBlockCipher permutationAes;
    private final Keystream keystream;
    private Issuance current;
    private Issuance next;
    private int unroutableCidLength;

    /**
     * An encoder on the JDK's AES.
     *
     * @param config   the configuration to issue CIDs with
     * @param serverId this server's ID in that configuration
     * @param threadId this thread's ID; 0 when the configuration has no thread ID
     * @throws IllegalArgumentException when the server ID length or the thread ID does not fit the configuration
     */
    public CidEncoder(QuicLbConfig config, ServerId serverId, int threadId) {
        this(config, serverId, threadId, AesEngine.JDK);
    }

    /**
     * @param config   the configuration to issue CIDs with
     * @param serverId this server's ID in that configuration
     * @param threadId this thread's ID; 0 when the configuration has no thread ID
     * @param engine   the AES implementation
     * @throws IllegalArgumentException when the server ID length or the thread ID does not fit the configuration
     */
    public CidEncoder(QuicLbConfig config, ServerId serverId, int threadId, AesEngine engine) {
        this(config, serverId, threadId, engine, RandomSource.secure());
    }

    // Package-private for testing: a deterministic random source makes every issued CID reproducible.
    CidEncoder(QuicLbConfig config, ServerId serverId, int threadId, AesEngine engine, RandomSource random) {
        if (threadId < 0) {
            throw new IllegalArgumentException("must be >= 0: threadId=" + threadId);
        }
        this.engine = engine;
        this.random = random;
        this.threadId = threadId;
        byte[] localKeys = new byte[2 * QuicLbConfig.KEY_LENGTH];
        random.nextBytes(localKeys);
        byte[] key = java.util.Arrays.copyOfRange(localKeys, 0, QuicLbConfig.KEY_LENGTH);
        this.permutationAes = engine.newCipher(key);
        System.arraycopy(localKeys, QuicLbConfig.KEY_LENGTH, key, 0, QuicLbConfig.KEY_LENGTH);
        this.keystream = new Keystream(engine.newCipher(key));
        QuicLbConfig.wipe(key);
        QuicLbConfig.wipe(localKeys);
        update(config, serverId);
    }

    /**
     * Switches to a new configuration now: every later CID uses it, never the old one (§3.1). Forgets any
     * configuration given to {@link #setNextConfig}. When the new configuration has the same key and counter
     * length as the current one, the counter carries on, so no nonce repeats under that key.
     *
     * @param config   the new configuration
     * @param serverId this server's ID in it
     * @throws IllegalArgumentException when the server ID length or this encoder's thread ID does not fit it
     */
    public void update(QuicLbConfig config, ServerId serverId) {
        current = newIssuance(config, serverId);
        next = null;
        settle();
    }

    /**
     * Names the configuration to switch to when the current one runs out of nonces (§9.6).
     *
     * @param config   the next configuration
     * @param serverId this server's ID in it
     * @throws IllegalArgumentException when the server ID length or this encoder's thread ID does not fit it
     */
    public void setNextConfig(QuicLbConfig config, ServerId serverId) {
        next = newIssuance(config, serverId);
        settle();
    }

    /**
     * Issues one CID.
     *
     * @param dst    receives {@link #cidLength()} octets
     * @param offset where the first octet goes
     * @return the CID length, or {@link #DESTINATION_TOO_SMALL}
     */
    public int encode(byte[] dst, int offset) {
        final Issuance issuance = current;
        if (issuance == null) {
            return issueUnroutable(dst, offset);
        }
        if (offset < 0 || offset > dst.length - issuance.cidLength) {
            return DESTINATION_TOO_SMALL;
        }
        issuance.counter.next(issuance.plaintext, issuance.counterOffset);
        final int length = issuance.issue(dst, offset, keystream);
        if (issuance.counter.remaining() == 0) {
            settle();
        }
        return length;
    }

    /**
     * Issues one CID into a new array. Allocates; for tools and the connection setup path.
     *
     * @return the CID
     */
    public byte[] nextConnectionId() {
        byte[] cid = new byte[cidLength()];
        encode(cid, 0);
        return cid;
    }

    /** @return the length of the next CID: the current configuration's CID length, or that of unroutable CIDs */
    public int cidLength() {
        return current == null ? unroutableCidLength : current.cidLength;
    }

    /** @return the configuration CIDs are issued with now, or null once issuing unroutable CIDs */
    public QuicLbConfig config() {
        return current == null ? null : current.config;
    }

    /** @return this encoder's thread ID */
    public int threadId() {
        return threadId;
    }

    /**
     * How many more CIDs the current configuration can issue; a configuration agent SHOULD learn when servers
     * approach exhaustion (§9.6).
     *
     * @return the count, Long.MAX_VALUE when practically inexhaustible, 0 once issuing unroutable CIDs
     */
    public long remainingNonces() {
        return current == null ? 0 : current.counter.remaining();
    }

    /**
     * Encodes one CID with a nonce the caller chose: for tools and tests, not for servers, which must never repeat
     * a nonce under a key. When the configuration does not self-encode the length, the first octet's low bits are
     * random. Allocates.
     *
     * @param config   the configuration
     * @param serverId the server ID, of the configuration's server ID length
     * @param nonce    the raw nonce field, of the configuration's nonce length
     * @param engine   the AES implementation
     * @return the CID
     * @throws IllegalArgumentException when a length does not match the configuration
     */
    public static byte[] encodeWithNonce(QuicLbConfig config, ServerId serverId, byte[] nonce, AesEngine engine) {
        checkServerId(config, serverId);
        if (nonce.length != config.nonceLength()) {
            throw new IllegalArgumentException("must equal nonceLength=" + config.nonceLength()
                    + ": nonce.length=" + nonce.length);
        }
        byte[] plaintext = new byte[config.plaintextLength()];
        serverId.copyTo(plaintext, 0);
        System.arraycopy(nonce, 0, plaintext, config.serverIdLength(), nonce.length);
        byte[] cid = new byte[config.cidLength()];
        int low5Bits = config.lengthSelfEncoded() ? cid.length - 1 : new SecureRandom().nextInt();
        cid[0] = FirstOctet.of(config.configId(), low5Bits);
        new CidCipher(config, engine).encrypt(plaintext, 0, cid, 1);
        return cid;
    }

    private int issueUnroutable(byte[] dst, int offset) {
        final int length = unroutableCidLength;
        if (offset < 0 || offset > dst.length - length) {
            return DESTINATION_TOO_SMALL;
        }
        dst[offset] = FirstOctet.of(QuicLbConfig.UNROUTABLE_CONFIG_ID, length - 1);
        keystream.nextOctets(dst, offset + 1, length - 1);
        return length;
    }

    private Issuance newIssuance(QuicLbConfig config, ServerId serverId) {
        checkServerId(config, serverId);
        int threadIdLength = config.threadIdLength();
        if (threadIdLength * 8 < Integer.SIZE - 1 && threadId >= 1 << (threadIdLength * 8)) {
            throw new IllegalArgumentException("must be 0.." + ((1 << (threadIdLength * 8)) - 1)
                    + " for threadIdLength=" + threadIdLength + ": threadId=" + threadId);
        }
        return new Issuance(config, serverId, threadId, new CidCipher(config, engine), counterFor(config),
                config.hasKey() ? null : new FourPassCipher(permutationAes, config.counterLength()));
    }

    /** A counter that never repeats a nonce under the configuration's key. */
    private NonceCounter counterFor(QuicLbConfig config) {
        for (Issuance live : new Issuance[] {current, next}) {
            if (live != null && config.hasKey() && live.config.sameKey(config)
                    && live.counter.width() == config.counterLength()) {
                return live.counter;
            }
        }
        byte[] seed = new byte[config.counterLength()];
        random.nextBytes(seed);
        return new NonceCounter(seed);
    }

    private static void checkServerId(QuicLbConfig config, ServerId serverId) {
        if (serverId.length() != config.serverIdLength()) {
            throw new IllegalArgumentException("must equal serverIdLength=" + config.serverIdLength()
                    + ": serverId.length=" + serverId.length());
        }
    }

    // Package-private for testing: reaching exhaustion by issuing takes 2^32 CIDs or more.
    void skipNonces(long count) {
        current.counter.skip(count);
        settle();
    }

    /**
     * Makes {@code current} a configuration with nonces left: an exhausted one gives way to {@code next}, and
     * without a next one to unroutable CIDs (§9.6). A next configuration given while issuing unroutable CIDs
     * takes over at once. Unroutable CIDs keep the length of the last configuration in use, or
     * {@value #MIN_UNROUTABLE_CID_LENGTH} octets when that is shorter (§3.2).
     */
    private void settle() {
        while (current == null ? next != null : current.counter.remaining() == 0) {
            current = next;
            next = null;
        }
        if (current != null) {
            unroutableCidLength = Math.max(MIN_UNROUTABLE_CID_LENGTH, current.cidLength);
        }
    }

    /**
     * Everything needed to issue CIDs under one configuration. The plaintext block's server ID and thread ID
     * octets are written once; each CID rewrites only the counter octets.
     */
    private static final class Issuance {
        final QuicLbConfig config;
        final CidCipher cipher;
        final NonceCounter counter;
        final FourPassCipher noncePermutation;
        final byte[] plaintext;
        final int counterOffset;
        final int cidLength;
        final int configId;
        final boolean lengthSelfEncoded;

        Issuance(QuicLbConfig config, ServerId serverId, int threadId, CidCipher cipher, NonceCounter counter,
                 FourPassCipher noncePermutation) {
            this.config = config;
            this.cipher = cipher;
            this.counter = counter;
            this.noncePermutation = noncePermutation;
            this.plaintext = new byte[config.plaintextLength()];
            this.counterOffset = config.serverIdLength() + config.threadIdLength();
            this.cidLength = config.cidLength();
            this.configId = config.configId();
            this.lengthSelfEncoded = config.lengthSelfEncoded();
            serverId.copyTo(plaintext, 0);
            for (int i = 0; i < config.threadIdLength(); i++) {
                plaintext[counterOffset - 1 - i] = (byte) (threadId >>> (8 * i));
            }
        }

        /** Completes the CID once the counter octets are in place. */
        int issue(byte[] dst, int offset, Keystream keystream) {
            if (noncePermutation != null) {
                noncePermutation.encrypt(plaintext, counterOffset, plaintext, counterOffset);
            }
            int low5Bits = lengthSelfEncoded ? cidLength - 1 : keystream.nextOctet();
            dst[offset] = FirstOctet.of(configId, low5Bits);
            cipher.encrypt(plaintext, 0, dst, offset + 1);
            return cidLength;
        }
    }
}
