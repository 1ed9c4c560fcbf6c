package io.quiclb.codec;

/** Lets tests outside this package run an encoder out of nonces without issuing 2^32 CIDs. */
public final class Exhaustion {
    private Exhaustion() {
    }

    /** Skips every nonce the encoder's current configuration has left. */
    public static void exhaust(CidEncoder encoder) {
        encoder.skipNonces(encoder.remainingNonces());
    }
}
