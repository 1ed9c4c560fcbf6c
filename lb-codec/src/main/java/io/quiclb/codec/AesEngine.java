package io.quiclb.codec;

import java.util.Locale;

/**
 * The AES implementations a codec can run on.
 *
 * <p>{@link #JDK} is the default and the fast one: the JDK's {@code AES/ECB/NoPadding} {@code Cipher}, which
 * HotSpot compiles to AES-NI instructions (about 14 ns per block measured on our machines). {@link #BOUNCY_CASTLE}
 * is BouncyCastle's lightweight {@code AESEngine} (about 90 to 100 ns per block): selectable for platforms whose
 * JCE is unusable, and used by the tests as an AES implementation independent of the JDK's. It needs
 * {@code org.bouncycastle:bcprov-jdk18on} on the class path, which the codec jar does not bring.
 *
 * <p><b>Thread safety:</b> an enum; immutable. The ciphers it creates are not thread-safe.
 */
public enum AesEngine {
    /** The JDK's AES (JCE, AES-NI intrinsics). */
    JDK,
    /** BouncyCastle's pure-Java AES; requires bcprov-jdk18on on the class path. */
    BOUNCY_CASTLE;

    private static final String BOUNCY_CASTLE_CLASS = "org.bouncycastle.crypto.engines.AESEngine";

    /**
     * @param key 16 octets; not retained by this method (engines keep their own key schedules)
     * @return a cipher keyed for both directions
     * @throws IllegalArgumentException when the key is not 16 octets
     * @throws IllegalStateException    when the engine is not available on this class path or platform
     */
    public AesBlockCipher newCipher(byte[] key) {
        if (key == null || key.length != QuicLbConfig.KEY_LENGTH) {
            throw new IllegalArgumentException("key must be " + QuicLbConfig.KEY_LENGTH + " octets: key.length="
                    + (key == null ? "null" : String.valueOf(key.length)));
        }
        switch (this) {
            case JDK:
                return new JdkAesBlockCipher(key);
            case BOUNCY_CASTLE:
                if (!isAvailable()) {
                    throw new IllegalStateException("AES engine BOUNCY_CASTLE needs org.bouncycastle:bcprov-jdk18on"
                            + " on the class path: class " + BOUNCY_CASTLE_CLASS + " not found");
                }
                return new BouncyCastleAesBlockCipher(key);
            default:
                throw new AssertionError(this);
        }
    }

    /** @return whether this engine can be used on this class path */
    public boolean isAvailable() {
        if (this == JDK) {
            return true;
        }
        try {
            Class.forName(BOUNCY_CASTLE_CLASS, false, AesEngine.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /**
     * Parses an engine name as written in configuration: {@code jdk} or {@code bouncy-castle} (any case,
     * {@code _} or {@code -}).
     *
     * @param name the name
     * @return the engine
     * @throws IllegalArgumentException for any other name
     */
    public static AesEngine fromName(String name) {
        String normalized = name == null ? "" : name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (AesEngine engine : values()) {
            if (engine.name().equals(normalized)) {
                return engine;
            }
        }
        throw new IllegalArgumentException("must be jdk or bouncy-castle: aesEngine=" + name);
    }
}
