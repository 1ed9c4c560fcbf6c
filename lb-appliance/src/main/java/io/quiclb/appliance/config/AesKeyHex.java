package io.quiclb.appliance.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import java.security.MessageDigest;

/**
 * A QUIC-LB AES-128 key read from configuration as 32 hex digits. Write-only: {@link #toString()} is
 * {@code [REDACTED]}, it has no JSON form, and no error message repeats the text it was parsed from.
 *
 * <p><b>Thread safety:</b> immutable.
 */
public final class AesKeyHex {
    private final byte[] key;

    private AesKeyHex(byte[] key) {
        this.key = key;
    }

    /**
     * @param hex 32 hex digits
     * @return the key
     * @throws IllegalArgumentException naming the rule, never the value
     */
    @JsonCreator
    public static AesKeyHex parse(String hex) {
        if (hex == null || hex.length() != 2 * QuicLbConfig.KEY_LENGTH) {
            throw new IllegalArgumentException("must be " + 2 * QuicLbConfig.KEY_LENGTH
                    + " hex digits (16 octets): key has " + (hex == null ? 0 : hex.length()));
        }
        return new AesKeyHex(Hex.decode("key", hex));
    }

    /** @return a copy of the key */
    public byte[] toBytes() {
        return key.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AesKeyHex other && MessageDigest.isEqual(key, other.key);
    }

    @Override
    public int hashCode() {
        return 0; // never derived from secret material
    }

    @Override
    public String toString() {
        return "[REDACTED]";
    }
}
