package io.quiclb.appliance.api;

import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.codec.QuicLbConfig;

/**
 * A QUIC-LB configuration as the API shows it: never the key, only whether one is set and its fingerprint.
 *
 * @param configId          config rotation codepoint
 * @param serverIdLength    octets of server ID
 * @param nonceLength       octets of nonce
 * @param threadIdLength    octets of thread ID
 * @param lengthSelfEncoded whether servers encode the CID length
 * @param algorithm         plaintext, single-pass or four-pass
 * @param keySet            whether the configuration encrypts
 * @param keyFingerprint    a one-way identifier of the key, or "none"
 */
public record ConfigView(int configId, int serverIdLength, int nonceLength, int threadIdLength,
                         boolean lengthSelfEncoded, String algorithm, boolean keySet, String keyFingerprint) {
    /**
     * @param entry a configuration
     * @return its view
     */
    public static ConfigView of(LbConfigEntry entry) {
        QuicLbConfig config = entry.toQuicLbConfig();
        return new ConfigView(config.configId(), config.serverIdLength(), config.nonceLength(),
                config.threadIdLength(), config.lengthSelfEncoded(), config.algorithm().name(), config.hasKey(),
                config.keyFingerprint());
    }
}
