package io.quiclb.codec;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * One QUIC-LB configuration: the parameters a configuration agent gives to load balancers and servers
 * (draft-ietf-quic-load-balancers-21 §5.3 "Configuration Agent Actions").
 *
 * <pre>
 * QUIC-LB Connection ID (draft-21 §5.2), cidLength = 1 + serverIdLength + nonceLength octets:
 *
 *  0                   1
 *  0 1 2 3 4 5 6 7 8 ...
 * +-----+---------+-----------------------+-----------------------------------------+
 * | CR  | Len/Rnd |   Server ID (S)       |               Nonce (N)                 |
 * | (3) |   (5)   |                       | Thread ID (T) |      Counter (N - T)    |
 * +-----+---------+-----------------------+-----------------------------------------+
 *  first octet     \______________ plaintext block, AES-encrypted with a key ______/
 *
 * CR       config rotation codepoint = configId, 0..6 (7 is reserved: always unroutable, §3.1, §3.2)
 * Len/Rnd  CID length minus one when lengthSelfEncoded (§3.3), else bits with no relationship to other CIDs
 * S        serverIdLength, 1..15 octets
 * N        nonceLength, 4..18 octets, S + N &lt;= 19
 * T        threadIdLength, 0..2 octets taken from the front of the nonce (our extension of §7.2 "Server
 *          Process Demultiplexing": the thread ID is appended to the server ID in the plaintext, so the
 *          load balancer sees it as part of the nonce); at least 4 counter octets remain
 * </pre>
 *
 * <p>The algorithm is implied by the parameters ({@link CidAlgorithm#of}): no key means plaintext, a key
 * with S + N = 16 means single-pass AES-128-ECB (§5.4.1), any other key means four-pass (§5.4.2).
 *
 * <p>Every constructor argument is validated; an invalid one throws {@link IllegalArgumentException}
 * whose message names the rule and the value, for example {@code "must be 4..18: nonceLength=2"}.
 * The key is copied in and never leaves: {@link #toString()} shows only {@link #keyFingerprint()}.
 *
 * <p><b>Thread safety:</b> immutable and safe to share between threads.
 */
public final class QuicLbConfig {

    /** Number of most significant bits of the first octet that carry the config ID (§3, since -17). */
    public static final int CONFIG_ID_BITS = 3;
    /** Highest config ID a configuration may use; 7 is {@link #UNROUTABLE_CONFIG_ID}. */
    public static final int MAX_CONFIG_ID = 6;
    /** The codepoint servers without a configuration use; it is never a configuration (§3.2). */
    public static final int UNROUTABLE_CONFIG_ID = 7;
    /** A server ID is at least one octet (§5.3 MUST). */
    public static final int MIN_SERVER_ID_LENGTH = 1;
    /** 19 minus the minimum nonce length. */
    public static final int MAX_SERVER_ID_LENGTH = 15;
    /** A nonce is at least four octets (§5.3 MUST), enough for a counter servers will not exhaust quickly. */
    public static final int MIN_NONCE_LENGTH = 4;
    /** 19 minus the minimum server ID length. */
    public static final int MAX_NONCE_LENGTH = 18;
    /** Server ID plus nonce is at most 19 octets so that the CID fits QUIC v1's 20-octet limit (§5.3 MUST). */
    public static final int MAX_PLAINTEXT_LENGTH = 19;
    /** AES-128 keys are 16 octets (§5.3). */
    public static final int KEY_LENGTH = 16;
    /** The plaintext length at which encryption is a single AES-128-ECB block (§5.4.1). */
    public static final int SINGLE_PASS_PLAINTEXT_LENGTH = 16;
    /** Thread IDs take at most two octets: 65,536 threads per server are plenty, and each octet costs nonce. */
    public static final int MAX_THREAD_ID_LENGTH = 2;
    /** Octets of the nonce that must remain for the counter once the thread ID is taken out. */
    public static final int MIN_COUNTER_LENGTH = 4;

    private final int configId;
    private final int serverIdLength;
    private final int nonceLength;
    private final int threadIdLength;
    private final boolean lengthSelfEncoded;
    private final byte[] key;
    private final CidAlgorithm algorithm;

    private QuicLbConfig(Builder builder) {
        this.configId = checkRange("configId", builder.configId, 0, MAX_CONFIG_ID);
        this.serverIdLength = checkRange("serverIdLength", builder.serverIdLength,
                MIN_SERVER_ID_LENGTH, MAX_SERVER_ID_LENGTH);
        this.nonceLength = checkRange("nonceLength", builder.nonceLength, MIN_NONCE_LENGTH, MAX_NONCE_LENGTH);
        if (serverIdLength + nonceLength > MAX_PLAINTEXT_LENGTH) {
            throw new IllegalArgumentException("serverIdLength + nonceLength must be <= " + MAX_PLAINTEXT_LENGTH
                    + ": serverIdLength=" + serverIdLength + ", nonceLength=" + nonceLength);
        }
        this.threadIdLength = checkRange("threadIdLength", builder.threadIdLength, 0, MAX_THREAD_ID_LENGTH);
        if (nonceLength - threadIdLength < MIN_COUNTER_LENGTH) {
            throw new IllegalArgumentException("nonceLength - threadIdLength must be >= " + MIN_COUNTER_LENGTH
                    + ": nonceLength=" + nonceLength + ", threadIdLength=" + threadIdLength);
        }
        if (builder.key != null && builder.key.length != KEY_LENGTH) {
            // The length only: the value of a key never appears in a message.
            throw new IllegalArgumentException("key must be " + KEY_LENGTH + " octets: key.length="
                    + builder.key.length);
        }
        this.key = builder.key == null ? null : builder.key.clone();
        this.lengthSelfEncoded = builder.lengthSelfEncoded;
        this.algorithm = CidAlgorithm.of(serverIdLength + nonceLength, key != null);
    }

    /**
     * Starts a configuration with the three parameters every configuration has.
     *
     * @param configId       config rotation codepoint, 0..{@value #MAX_CONFIG_ID}
     * @param serverIdLength octets of server ID, {@value #MIN_SERVER_ID_LENGTH}..{@value #MAX_SERVER_ID_LENGTH}
     * @param nonceLength    octets of nonce, {@value #MIN_NONCE_LENGTH}..{@value #MAX_NONCE_LENGTH}
     * @return a builder with no key, length self-encoding on and no thread ID
     */
    public static Builder builder(int configId, int serverIdLength, int nonceLength) {
        return new Builder(configId, serverIdLength, nonceLength);
    }

    /** @return the config rotation codepoint, the top {@value #CONFIG_ID_BITS} bits of every CID (§3.1) */
    public int configId() {
        return configId;
    }

    /** @return octets of server ID */
    public int serverIdLength() {
        return serverIdLength;
    }

    /** @return octets of nonce, including the thread ID octets */
    public int nonceLength() {
        return nonceLength;
    }

    /** @return octets at the front of the nonce that carry the issuing thread's ID (our §7.2 extension) */
    public int threadIdLength() {
        return threadIdLength;
    }

    /** @return octets of the nonce that hold the encoder's counter: nonceLength - threadIdLength */
    public int counterLength() {
        return nonceLength - threadIdLength;
    }

    /** @return serverIdLength + nonceLength: the octets after the first octet that QUIC-LB defines */
    public int plaintextLength() {
        return serverIdLength + nonceLength;
    }

    /** @return 1 + plaintextLength: the octets a load balancer needs to decode a CID of this config */
    public int cidLength() {
        return 1 + serverIdLength + nonceLength;
    }

    /** @return whether servers write the CID length minus one into the first octet's low 5 bits (§3.3) */
    public boolean lengthSelfEncoded() {
        return lengthSelfEncoded;
    }

    /** @return whether this configuration encrypts CIDs */
    public boolean hasKey() {
        return key != null;
    }

    /** @return the algorithm these parameters select */
    public CidAlgorithm algorithm() {
        return algorithm;
    }

    /**
     * A short, one-way identifier of the key so operators can tell keys apart without seeing them: the first
     * 8 octets of SHA-256("quiclb key fingerprint" || key), in hex.
     *
     * @return 16 hex digits, or {@code "none"} without a key
     */
    public String keyFingerprint() {
        if (key == null) {
            return "none";
        }
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update("quiclb key fingerprint".getBytes(StandardCharsets.US_ASCII));
            return Hex.encode(sha256.digest(key), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must provide SHA-256 (MessageDigest javadoc).
            throw new IllegalStateException("SHA-256 is missing from this Java platform", e);
        }
    }

    /**
     * Whether the two configurations encrypt under the same key. Compared in constant time.
     *
     * @param other another configuration
     * @return true when both have no key or both have the same key
     */
    public boolean sameKey(QuicLbConfig other) {
        if (key == null || other.key == null) {
            return key == other.key;
        }
        return MessageDigest.isEqual(key, other.key);
    }

    /** @return a copy of the key for the AES engines of this package; null without a key */
    byte[] keyCopy() {
        return key == null ? null : key.clone();
    }

    /**
     * Two configurations are equal when every parameter, the key included, is equal.
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof QuicLbConfig)) {
            return false;
        }
        QuicLbConfig that = (QuicLbConfig) o;
        return configId == that.configId && serverIdLength == that.serverIdLength
                && nonceLength == that.nonceLength && threadIdLength == that.threadIdLength
                && lengthSelfEncoded == that.lengthSelfEncoded && sameKey(that);
    }

    @Override
    public int hashCode() {
        // The key is left out so a hash never depends on secret material.
        return ((configId * 31 + serverIdLength) * 31 + nonceLength) * 31 + threadIdLength * 2
                + (lengthSelfEncoded ? 1 : 0);
    }

    /** @return the parameters, with the key shown only as its fingerprint */
    @Override
    public String toString() {
        return "QuicLbConfig{configId=" + configId + ", serverIdLength=" + serverIdLength
                + ", nonceLength=" + nonceLength + ", threadIdLength=" + threadIdLength
                + ", lengthSelfEncoded=" + lengthSelfEncoded + ", algorithm=" + algorithm
                + ", key=" + keyFingerprint() + '}';
    }

    static int checkRange(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("must be " + min + ".." + max + ": " + name + "=" + value);
        }
        return value;
    }

    /**
     * Collects the optional parameters; {@link #build()} validates them all.
     *
     * <p><b>Thread safety:</b> not thread-safe; use it on one thread and keep the built config.
     */
    public static final class Builder {
        private final int configId;
        private final int serverIdLength;
        private final int nonceLength;
        private int threadIdLength;
        private boolean lengthSelfEncoded = true;
        private byte[] key;

        private Builder(int configId, int serverIdLength, int nonceLength) {
            this.configId = configId;
            this.serverIdLength = serverIdLength;
            this.nonceLength = nonceLength;
        }

        /**
         * @param key a 16-octet AES-128 key (copied), or null for plaintext CIDs
         * @return this builder
         */
        public Builder key(byte[] key) {
            this.key = key == null ? null : key.clone();
            return this;
        }

        /**
         * @param lengthSelfEncoded whether servers encode the CID length in the first octet (default true)
         * @return this builder
         */
        public Builder lengthSelfEncoded(boolean lengthSelfEncoded) {
            this.lengthSelfEncoded = lengthSelfEncoded;
            return this;
        }

        /**
         * @param threadIdLength octets of thread ID at the front of the nonce, 0..{@value #MAX_THREAD_ID_LENGTH}
         * @return this builder
         */
        public Builder threadIdLength(int threadIdLength) {
            this.threadIdLength = threadIdLength;
            return this;
        }

        /**
         * @return the validated configuration
         * @throws IllegalArgumentException naming the rule and the value of the first invalid parameter
         */
        public QuicLbConfig build() {
            return new QuicLbConfig(this);
        }
    }

    /** Zeroes a scratch copy of key material once an engine has been keyed with it. */
    static void wipe(byte[] keyMaterial) {
        if (keyMaterial != null) {
            Arrays.fill(keyMaterial, (byte) 0);
        }
    }
}
