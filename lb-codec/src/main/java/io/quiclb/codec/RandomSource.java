package io.quiclb.codec;

import java.security.SecureRandom;

/**
 * Where an encoder gets the randomness it needs when it is created or reconfigured: counter seeds and local keys.
 * Never called per CID. Tests pass a deterministic source, as QUICHE's tests pass {@code TestRandom}.
 *
 * <p><b>Thread safety:</b> the default source is thread-safe ({@link SecureRandom} is).
 */
interface RandomSource {
    /**
     * @param bytes filled with random octets
     */
    void nextBytes(byte[] bytes);

    /** @return a source backed by the platform's default {@link SecureRandom} */
    static RandomSource secure() {
        SecureRandom random = new SecureRandom();
        return random::nextBytes;
    }
}
