package io.quiclb.codec.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quiclb.codec.CidDecoder;
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import io.quiclb.codec.agent.EncoderClient;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A generator follows what the load balancers offer: a newly offered config ID, or another when its own goes. */
class EncoderFollowerTest {
    private static final QuicLbConfig CONFIG0 = QuicLbConfig.builder(0, 2, 6).build();
    private static final QuicLbConfig CONFIG1 = QuicLbConfig.builder(1, 2, 6)
            .key(Hex.decode("key", "fdf726a9893ec05c0632d3956680baf0")).build();
    private static final QuicLbConfig CONFIG2 = QuicLbConfig.builder(2, 2, 6).build();

    @Test
    void shouldMoveToEachNewlyOfferedConfig() {
        QuicLbConnectionIdGenerator ids = new QuicLbConnectionIdGenerator(CONFIG0, ServerId.fromHex("0a01"), 0);
        EncoderFollower follower = new EncoderFollower(ids, 0);
        follower.accept(List.of(encoding(CONFIG0, "0a01")));
        assertEquals(0, issuedConfig(ids));

        follower.accept(List.of(encoding(CONFIG0, "0a01"), encoding(CONFIG1, "0b01")));
        assertEquals(1, follower.currentConfigId());
        assertEquals(1, issuedConfig(ids));
        assertEquals("0b01", serverIdOf(ids, CONFIG1));

        follower.accept(List.of(encoding(CONFIG1, "0b01")));
        assertEquals(1, follower.currentConfigId(), "the old config leaving changes nothing");

        follower.accept(List.of(encoding(CONFIG2, "0c01")));
        assertEquals(2, follower.currentConfigId(), "its own config withdrawn: the one offered");
        assertEquals(2, issuedConfig(ids));
    }

    @Test
    void shouldRotateThroughARotationDrain() {
        QuicLbConfig threaded0 = QuicLbConfig.builder(0, 2, 6).threadIdLength(1).build();
        QuicLbConfig threaded1 = QuicLbConfig.builder(1, 2, 6).threadIdLength(1).build();
        QuicLbConnectionIdGenerator thread0 = new QuicLbConnectionIdGenerator(threaded0, ServerId.fromHex("0a01"), 0);
        QuicLbConnectionIdGenerator thread1 = new QuicLbConnectionIdGenerator(threaded0, ServerId.fromHex("0a01"), 1);
        RotationDrain rotation = new RotationDrain(List.of(thread0, thread1), java.time.Duration.ofSeconds(1),
                RotationDrain.close(0, "rotation"));
        EncoderFollower follower = new EncoderFollower(rotation, 0);
        follower.accept(List.of(encoding(threaded0, "0a01")));
        follower.accept(List.of(encoding(threaded0, "0a01"), encoding(threaded1, "0b01")));
        assertEquals(1, follower.currentConfigId());
        assertEquals(1, issuedConfig(thread0), "every generator of the drain moved");
        assertEquals(1, issuedConfig(thread1));
    }

    private static EncoderClient.Encoding encoding(QuicLbConfig config, String serverId) {
        return new EncoderClient.Encoding(config, ServerId.fromHex(serverId));
    }

    private static int issuedConfig(QuicLbConnectionIdGenerator ids) {
        ByteBuffer id = ids.newId(ids.cidLength());
        return (id.get(0) & 0xff) >>> 5;
    }

    private static String serverIdOf(QuicLbConnectionIdGenerator ids, QuicLbConfig config) {
        ByteBuffer id = ids.newId(ids.cidLength());
        byte[] cid = new byte[id.remaining()];
        id.get(cid);
        byte[] serverId = new byte[15];
        int length = new CidDecoder(config).decode(cid, 0, cid.length, serverId, 0);
        return Hex.encode(serverId, 0, length);
    }
}
