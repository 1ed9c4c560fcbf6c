package io.quiclb.codec;

/**
 * Load-balancer side of QUIC-LB: extracts the server ID, and the thread ID where configured, from a destination
 * connection ID (draft-21 §5.5 "Load Balancer Actions").
 *
 * <p>Holds up to seven configurations, indexed by config ID 0..{@value QuicLbConfig#MAX_CONFIG_ID}. A CID whose top
 * three bits are {@value QuicLbConfig#UNROUTABLE_CONFIG_ID} is always unroutable (§3.2); one whose config ID has no
 * configuration here is unroutable (§4.1); one shorter than its configuration's {@link QuicLbConfig#cidLength()}
 * is too short. A longer CID is fine: servers may append octets of their own (§5.4), which are ignored.
 *
 * <pre>{@code
 * CidDecoder decoder = new CidDecoder(config);          // per thread
 * byte[] serverId = new byte[QuicLbConfig.MAX_SERVER_ID_LENGTH];
 * int result = decoder.decode(dcid, 0, dcid.length, serverId, 0);
 * if (result > 0) route(serverId, result, decoder.threadId()); else count(CidDecoder.resultName(result));
 * }</pre>
 *
 * <p>{@link #decode} never throws and allocates nothing, whatever the input octets. On a negative result the
 * destination array's content is undefined.
 *
 * <p><b>Hot path.</b> Measure changes with lb-bench's CidDecoderBenchmark ({@code -prof gc}) before merging.
 * <b>Thread safety:</b> not thread-safe: it owns AES state and scratch buffers. Use one instance per thread;
 * configure it ({@link #setConfig}, {@link #removeConfig}) on the thread that decodes.
 */
public final class CidDecoder {
    /** Result: the config ID is {@value QuicLbConfig#UNROUTABLE_CONFIG_ID}, the codepoint that is never routable. */
    public static final int UNROUTABLE_CODEPOINT = -1;
    /** Result: no configuration is installed for the CID's config ID. */
    public static final int UNKNOWN_CONFIG = -2;
    /** Result: the CID is shorter than its configuration's CID length (an empty CID included). */
    public static final int CID_TOO_SHORT = -3;
    /** Result: offset and length do not lie inside the CID array, or the server ID does not fit the destination. */
    public static final int INVALID_RANGE = -4;
    /** {@link #threadId()} when the last decoded configuration carries no thread ID. */
    public static final int NO_THREAD_ID = -1;

    private final AesEngine engine;
    private final CidCipher[] ciphers = new CidCipher[QuicLbConfig.MAX_CONFIG_ID + 1];
    private final byte[] prefix = new byte[QuicLbConfig.MAX_PLAINTEXT_LENGTH];
    private int threadId = NO_THREAD_ID;

    /**
     * A decoder on the JDK's AES.
     *
     * @param configs initial configurations; at most one per config ID
     */
    public CidDecoder(QuicLbConfig... configs) {
        this(AesEngine.JDK, configs);
    }

    /**
     * @param engine  the AES implementation
     * @param configs initial configurations; at most one per config ID
     * @throws IllegalArgumentException when two configurations share a config ID
     */
    public CidDecoder(AesEngine engine, QuicLbConfig... configs) {
        this.engine = engine;
        for (QuicLbConfig config : configs) {
            if (ciphers[config.configId()] != null) {
                throw new IllegalArgumentException("must be unique: configId=" + config.configId());
            }
            setConfig(config);
        }
    }

    /**
     * Installs a configuration in its config ID's slot, replacing any configuration there. Keys the AES
     * engine, so call it off the data path.
     *
     * @param config the configuration
     */
    public void setConfig(QuicLbConfig config) {
        ciphers[config.configId()] = new CidCipher(config, engine);
    }

    /**
     * Removes the configuration with this config ID; CIDs with it become {@link #UNKNOWN_CONFIG}.
     *
     * @param configId 0..6
     * @throws IllegalArgumentException when configId is outside 0..6
     */
    public void removeConfig(int configId) {
        ciphers[QuicLbConfig.checkRange("configId", configId, 0, QuicLbConfig.MAX_CONFIG_ID)] = null;
    }

    /**
     * @param configId 0..7
     * @return the configuration installed for it, or null
     */
    public QuicLbConfig config(int configId) {
        if (configId < 0 || configId > QuicLbConfig.MAX_CONFIG_ID) {
            return null;
        }
        CidCipher cipher = ciphers[configId];
        return cipher == null ? null : cipher.config();
    }

    /**
     * Decodes the server ID of a CID.
     *
     * @param cid            array holding the CID
     * @param offset         index of its first octet
     * @param length         its length; longer than the configuration's CID length is fine
     * @param serverId       receives the server ID octets
     * @param serverIdOffset where the first server ID octet goes
     * @return the server ID length (&gt; 0), or {@link #UNROUTABLE_CODEPOINT}, {@link #UNKNOWN_CONFIG},
     *         {@link #CID_TOO_SHORT} or {@link #INVALID_RANGE}
     */
    public int decode(byte[] cid, int offset, int length, byte[] serverId, int serverIdOffset) {
        threadId = NO_THREAD_ID;
        if (offset < 0 || length < 0 || offset > cid.length - length) {
            return INVALID_RANGE;
        }
        if (length == 0) {
            return CID_TOO_SHORT;
        }
        final int configId = FirstOctet.configId(cid[offset]);
        if (configId == QuicLbConfig.UNROUTABLE_CONFIG_ID) {
            return UNROUTABLE_CODEPOINT;
        }
        final CidCipher cipher = ciphers[configId];
        if (cipher == null) {
            return UNKNOWN_CONFIG;
        }
        final QuicLbConfig config = cipher.config();
        if (length < config.cidLength()) {
            return CID_TOO_SHORT;
        }
        final int serverIdLength = config.serverIdLength();
        if (serverIdOffset < 0 || serverIdOffset > serverId.length - serverIdLength) {
            return INVALID_RANGE;
        }
        final int threadIdLength = config.threadIdLength();
        if (threadIdLength == 0) {
            cipher.decryptPrefix(cid, offset + 1, serverIdLength, serverId, serverIdOffset);
            return serverIdLength;
        }
        // The thread ID follows the server ID in the plaintext. A plaintext CID is its own plaintext, so read it in
        // place; otherwise decrypt server ID and thread ID together into the scratch block.
        final byte[] plaintext;
        final int base;
        if (cipher.config().algorithm() == CidAlgorithm.PLAINTEXT) {
            plaintext = cid;
            base = offset + 1;
        } else {
            plaintext = prefix;
            base = 0;
            cipher.decryptPrefix(cid, offset + 1, serverIdLength + threadIdLength, prefix, 0);
        }
        System.arraycopy(plaintext, base, serverId, serverIdOffset, serverIdLength);
        int id = 0;
        for (int i = 0; i < threadIdLength; i++) {
            id = id << 8 | (plaintext[base + serverIdLength + i] & 0xff);
        }
        threadId = id;
        return serverIdLength;
    }

    /**
     * @return the thread ID of the last successful {@link #decode}, or {@link #NO_THREAD_ID} when its configuration
     *         has no thread ID or the last decode failed
     */
    public int threadId() {
        return threadId;
    }

    /**
     * @param result a value {@link #decode} returned
     * @return a stable name for it: {@code "ok"} for a server ID length, else {@code "config-id-7"},
     *         {@code "unknown-config"}, {@code "cid-too-short"} or {@code "invalid-range"}
     */
    public static String resultName(int result) {
        if (result > 0) {
            return "ok";
        }
        switch (result) {
            case UNROUTABLE_CODEPOINT:
                return "config-id-7";
            case UNKNOWN_CONFIG:
                return "unknown-config";
            case CID_TOO_SHORT:
                return "cid-too-short";
            case INVALID_RANGE:
                return "invalid-range";
            default:
                return "unknown-result-" + result;
        }
    }
}
