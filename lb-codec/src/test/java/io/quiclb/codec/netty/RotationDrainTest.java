package io.quiclb.codec.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link RotationDrain}'s input rules and its all-or-nothing switch of the generators. Live connections, the pace and
 * the drain are tested with real QUIC clients in lb-appliance ({@code RotationDrainTest} with kwik,
 * {@code Ngtcp2RotationTest} with ngtcp2).
 */
class RotationDrainTest {
    private static final QuicLbConfig CONFIG0 = QuicLbConfig.builder(0, 2, 6).threadIdLength(1).build();
    private static final QuicLbConfig CONFIG1 = QuicLbConfig.builder(1, 2, 6).threadIdLength(1).build();

    @Test
    void shouldRefuseBadInputNamingIt() {
        QuicLbConnectionIdGenerator eight = new QuicLbConnectionIdGenerator(CONFIG0, ServerId.fromHex("0a01"), 0);
        QuicLbConnectionIdGenerator twelve = new QuicLbConnectionIdGenerator(QuicLbConfig.builder(0, 2, 9).threadIdLength(1).build(),
                ServerId.fromHex("0a01"), 1);
        assertEquals("generators: must name at least one generator", assertThrows(IllegalArgumentException.class,
                () -> new RotationDrain(List.of(), Duration.ofSeconds(1), c -> { })).getMessage());
        assertEquals("generators: must all issue CIDs of one length: 9 and 12",
                assertThrows(IllegalArgumentException.class,
                        () -> new RotationDrain(List.of(eight, twelve), Duration.ofSeconds(1), c -> { })).getMessage());
        assertEquals("pace: must be positive: PT0S", assertThrows(IllegalArgumentException.class,
                () -> new RotationDrain(List.of(eight), Duration.ZERO, c -> { })).getMessage());
    }

    @Test
    void shouldCountACidAsOnTheRotationOnlyWithItsConfigIdKeyAndServerId() {
        QuicLbConfig keyed = QuicLbConfig.builder(1, 2, 6).threadIdLength(1)
                .key(Hex.decode("key", "fdf726a9893ec05c0632d3956680baf0")).build();
        QuicLbConfig reKeyed = QuicLbConfig.builder(1, 2, 6).threadIdLength(1)
                .key(Hex.decode("key", "8f95f09245765f80256934e50c66207f")).build();
        ServerId server = ServerId.fromHex("0b01");
        byte[] cid = new CidEncoder(keyed, server, 0).nextConnectionId();
        assertTrue(RotationDrain.carries(cid, keyed, server));
        assertFalse(RotationDrain.carries(cid, keyed, ServerId.fromHex("0b02")), "another server ID");
        assertFalse(RotationDrain.carries(cid, CONFIG0, ServerId.fromHex("0b01")), "another config ID");
        // A rotation that keeps the config ID and changes the key: a CID of one key decodes under the other to a
        // pseudo-random server ID, 0b01 with probability 2^-16 (the nonces are random); both at once, 2^-32.
        byte[] reKeyedCid = new CidEncoder(reKeyed, server, 0).nextConnectionId();
        assertTrue(RotationDrain.carries(reKeyedCid, reKeyed, server));
        assertFalse(RotationDrain.carries(reKeyedCid, keyed, server) && RotationDrain.carries(cid, reKeyed, server),
                "one CID of each key, each read as the other's");
        assertFalse(RotationDrain.carries(null, keyed, server));
        assertFalse(RotationDrain.carries(new byte[0], keyed, server));
    }

    @Test
    void shouldSwitchEveryGeneratorOrNone() {
        QuicLbConnectionIdGenerator thread0 = new QuicLbConnectionIdGenerator(CONFIG0, ServerId.fromHex("0a01"), 0);
        QuicLbConnectionIdGenerator thread1 = new QuicLbConnectionIdGenerator(CONFIG0, ServerId.fromHex("0a01"), 1);
        RotationDrain rotation = new RotationDrain(List.of(thread0, thread1), Duration.ofSeconds(1), c -> { });
        assertThrows(IllegalArgumentException.class,
                () -> rotation.rotate(QuicLbConfig.builder(1, 2, 9).threadIdLength(1).build(), ServerId.fromHex("0b01")));
        assertEquals(0, thread0.config().configId());
        assertEquals(0, thread1.config().configId());

        assertEquals(0, rotation.rotate(CONFIG1, ServerId.fromHex("0b01")), "no live connection to check");
        assertEquals(1, thread0.config().configId());
        assertEquals(1, thread1.config().configId());
    }
}
