package io.quiclb.codec;

/**
 * The counter part of the nonces one encoder issues under one configuration: {@code width} octets, big-endian,
 * started at a random value and incremented by one per CID (draft-21 §9.6: "servers SHOULD start with a random
 * nonce value"). It is exhausted once it has issued every value of its width, i.e. when it would wrap back to
 * its start; the encoder then stops using the configuration, because "the server MUST NOT reuse a nonce until it
 * switches to a configuration with new keys" (§5.4).
 *
 * <p>Widths of 8 octets and more are treated as inexhaustible: 2^63 CIDs at one per nanosecond take 292 years.
 *
 * <p><b>Thread safety:</b> not thread-safe; owned by one encoder.
 */
final class NonceCounter {
    private final byte[] value;
    private long remaining;

    /**
     * @param seed the first value; its length is the width, 4..18 octets (copied)
     */
    NonceCounter(byte[] seed) {
        this.value = seed.clone();
        int bits = 8 * value.length;
        this.remaining = bits >= Long.SIZE - 1 ? Long.MAX_VALUE : 1L << bits;
    }

    int width() {
        return value.length;
    }

    /** @return how many more values this counter can issue; Long.MAX_VALUE means inexhaustible */
    long remaining() {
        return remaining;
    }

    /**
     * Writes the current value and advances.
     *
     * @return false, writing nothing, when every value has been issued
     */
    boolean next(byte[] dst, int offset) {
        if (remaining == 0) {
            return false;
        }
        System.arraycopy(value, 0, dst, offset, value.length);
        if (remaining != Long.MAX_VALUE) {
            remaining--;
        }
        for (int i = value.length - 1; i >= 0; i--) {
            if (++value[i] != 0) {
                break;
            }
        }
        return true;
    }

    /**
     * Advances by {@code count} values without issuing them. Package-private for testing: exhausting even a
     * 4-octet counter by issuing takes 2^32 CIDs.
     */
    void skip(long count) {
        if (count < 0 || (remaining != Long.MAX_VALUE && count > remaining)) {
            throw new IllegalArgumentException("must be 0..remaining: count=" + count);
        }
        long carry = count;
        for (int i = value.length - 1; i >= 0 && carry != 0; i--) {
            long sum = (value[i] & 0xffL) + (carry & 0xffL);
            value[i] = (byte) sum;
            carry = (carry >>> 8) + (sum >>> 8);
        }
        if (remaining != Long.MAX_VALUE) {
            remaining -= count;
        }
    }
}
