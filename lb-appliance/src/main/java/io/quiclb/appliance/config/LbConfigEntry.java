package io.quiclb.appliance.config;

import io.quiclb.codec.QuicLbConfig;
import jakarta.validation.constraints.NotNull;

/**
 * One entry of {@code quicLb.configs}: a QUIC-LB configuration (draft-21 §5.3) in config.yml form.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param configId          config rotation codepoint, 0..6
 * @param serverIdLength    octets of server ID
 * @param nonceLength       octets of nonce
 * @param threadIdLength    octets of thread ID at the front of the nonce (default 0)
 * @param key               AES-128 key in hex; absent for plaintext CIDs
 * @param lengthSelfEncoded whether servers encode the CID length in the first octet (default true)
 */
public record LbConfigEntry(
        @NotNull Integer configId,
        @NotNull Integer serverIdLength,
        @NotNull Integer nonceLength,
        Integer threadIdLength,
        AesKeyHex key,
        Boolean lengthSelfEncoded) {

    /** Fills in defaults. */
    public LbConfigEntry {
        threadIdLength = threadIdLength == null ? 0 : threadIdLength;
        lengthSelfEncoded = lengthSelfEncoded == null ? Boolean.TRUE : lengthSelfEncoded;
    }

    /**
     * @return the codec's configuration
     * @throws IllegalArgumentException naming the rule and the value, from {@link QuicLbConfig}
     */
    public QuicLbConfig toQuicLbConfig() {
        return QuicLbConfig.builder(configId, serverIdLength, nonceLength)
                .threadIdLength(threadIdLength)
                .lengthSelfEncoded(lengthSelfEncoded)
                .key(key == null ? null : key.toBytes())
                .build();
    }
}
