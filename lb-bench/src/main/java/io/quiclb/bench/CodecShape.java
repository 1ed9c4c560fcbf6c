package io.quiclb.bench;

import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;

/**
 * Parses the benchmark shape parameter {@code "S/N"} or {@code "S/NtT"} (server ID length, nonce length, thread ID
 * length) into a configuration, keyed or not.
 *
 * <p><b>Thread safety:</b> stateless.
 */
final class CodecShape {
    static final byte[] KEY = {
        (byte) 0x8f, (byte) 0x95, (byte) 0xf0, (byte) 0x92, 0x45, 0x76, 0x5f, (byte) 0x80,
        0x25, 0x69, 0x34, (byte) 0xe5, 0x0c, 0x66, 0x20, 0x7f,
    };

    private CodecShape() {
    }

    static QuicLbConfig config(String shape, boolean keyed) {
        String[] lengths = shape.split("[/t]");
        QuicLbConfig.Builder builder = QuicLbConfig.builder(0, Integer.parseInt(lengths[0]),
                Integer.parseInt(lengths[1])).key(keyed ? KEY : null);
        if (lengths.length == 3) {
            builder.threadIdLength(Integer.parseInt(lengths[2]));
        }
        return builder.build();
    }

    static ServerId serverId(QuicLbConfig config) {
        byte[] octets = new byte[config.serverIdLength()];
        for (int i = 0; i < octets.length; i++) {
            octets[i] = (byte) (0xa0 + i);
        }
        return ServerId.of(octets);
    }
}
