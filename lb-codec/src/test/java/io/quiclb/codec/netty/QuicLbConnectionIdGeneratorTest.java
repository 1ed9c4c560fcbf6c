package io.quiclb.codec.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.quiclb.codec.CidDecoder;
import io.quiclb.codec.FirstOctet;
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class QuicLbConnectionIdGeneratorTest {
    private static final byte[] KEY = Hex.decode("key", "8f95f09245765f80256934e50c66207f");
    private static final QuicLbConfig CONFIG = QuicLbConfig.builder(0, 2, 6).threadIdLength(1).key(KEY).build();

    @Test
    void shouldIssueCidsOfItsServerAndThreadWhateverNettyPassesIn() {
        QuicLbConnectionIdGenerator ids = new QuicLbConnectionIdGenerator(CONFIG, ServerId.fromHex("0a01"), 3);
        assertEquals(9, ids.cidLength());
        assertEquals(9, ids.maxConnectionIdLength());
        CidDecoder decoder = new CidDecoder(CONFIG);
        byte[] serverId = new byte[15];
        ByteBuffer[] issued = {ids.newId(9), ids.newId(ByteBuffer.allocate(20), 9),
            ids.newId(ByteBuffer.allocate(8), ByteBuffer.allocate(18), 9)};
        for (ByteBuffer id : issued) {
            byte[] cid = new byte[id.remaining()];
            id.get(cid);
            assertEquals(2, decoder.decode(cid, 0, cid.length, serverId, 0));
            assertEquals("0a01", Hex.encode(serverId, 0, 2));
            assertEquals(3, decoder.threadId());
        }
    }

    @Test
    void shouldRotateToANewConfigOfTheSameLengthOnly() {
        QuicLbConnectionIdGenerator ids = new QuicLbConnectionIdGenerator(CONFIG, ServerId.fromHex("0a01"), 0);
        QuicLbConfig next = QuicLbConfig.builder(1, 3, 5).threadIdLength(1).key(KEY).build();
        ids.update(next, ServerId.fromHex("0b0b01"));
        ByteBuffer id = ids.newId(9);
        assertEquals(1, FirstOctet.configId(id.get(0)));
        assertEquals(next, ids.config());
        QuicLbConfig longer = QuicLbConfig.builder(2, 3, 6).key(KEY).build();
        assertEquals("must keep cidLength=9 (the QUIC codec's localConnectionIdLength; configurations shorter than 8"
                + " octets are padded to it): config.cidLength=10",
                assertThrows(IllegalArgumentException.class, () -> ids.update(longer, ServerId.fromHex("0c0c01")))
                        .getMessage());
        assertEquals("must equal cidLength=9 (set localConnectionIdLength to it): length=20",
                assertThrows(IllegalArgumentException.class, () -> ids.newId(20)).getMessage());
    }

    @Test
    void shouldPadShortConfigurationsToEightOctetsSoUnroutableCidsKeepTheCodecsLength() {
        // 1 + 1 + 4 = 6 octets: draft-21 §3.2 wants 0b111 CIDs of at least 8, and Netty fixes one length, so every
        // CID is 8 octets: the QUIC-LB CID and 2 random appended octets (§5.4), the first octet describing all 8.
        QuicLbConfig shortConfig = QuicLbConfig.builder(2, 1, 4).key(KEY).build();
        io.quiclb.codec.CidEncoder encoder = new io.quiclb.codec.CidEncoder(shortConfig, ServerId.fromHex("07"), 0);
        QuicLbConnectionIdGenerator ids = new QuicLbConnectionIdGenerator(encoder);
        assertEquals(8, ids.cidLength());
        CidDecoder decoder = new CidDecoder(shortConfig);
        byte[] serverId = new byte[15];
        java.util.Set<String> tails = new java.util.HashSet<>();
        for (int i = 0; i < 50; i++) {
            byte[] cid = bytes(ids.newId(8));
            assertEquals(8, cid.length);
            assertEquals(2, FirstOctet.configId(cid[0]));
            assertEquals(8, FirstOctet.selfEncodedCidLength(cid[0]));
            assertEquals(1, decoder.decode(cid, 0, cid.length, serverId, 0));
            assertEquals("07", Hex.encode(serverId, 0, 1));
            tails.add(Hex.encode(cid, 6, 2));
        }
        assertEquals(true, tails.size() > 40, "appended octets are random: " + tails.size() + " of 50 distinct");
        io.quiclb.codec.Exhaustion.exhaust(encoder);
        byte[] unroutable = bytes(ids.newId(8));
        assertEquals(QuicLbConfig.UNROUTABLE_CONFIG_ID, FirstOctet.configId(unroutable[0]));
        assertEquals(8, FirstOctet.selfEncodedCidLength(unroutable[0]));
        assertEquals(CidDecoder.UNROUTABLE_CODEPOINT, decoder.decode(unroutable, 0, 8, serverId, 0));
    }

    private static byte[] bytes(ByteBuffer id) {
        byte[] cid = new byte[id.remaining()];
        id.get(cid);
        return cid;
    }

    @Test
    void shouldDispatchByTheThreadIdOfItsOwnServerOnly() {
        QuicLbConfig config = QuicLbConfig.builder(0, 2, 8).threadIdLength(1).key(KEY).build();
        QuicLbCodecDispatcher dispatcher = new QuicLbCodecDispatcher(config, ServerId.fromHex("0a01")) {
            @Override
            protected void initChannel(io.netty.channel.Channel channel, int localConnectionIdLength,
                                       io.netty.handler.codec.quic.QuicConnectionIdGenerator generator) {
            }
        };
        ByteBuffer[] cids = new ByteBuffer[4];
        for (int thread = 0; thread < 4; thread++) {
            cids[thread] = dispatcher.newIdGenerator(thread).newId(11);
        }
        for (int thread = 0; thread < 4; thread++) {
            assertEquals(thread, dispatcher.decodeIndex(io.netty.buffer.Unpooled.wrappedBuffer(cids[thread])));
        }
        ByteBuffer otherServer = new QuicLbConnectionIdGenerator(config, ServerId.fromHex("0b02"), 1).newId(11);
        assertEquals(QuicLbCodecDispatcher.HANDLE_WHERE_LANDED,
                dispatcher.decodeIndex(io.netty.buffer.Unpooled.wrappedBuffer(otherServer)));
        assertEquals(QuicLbCodecDispatcher.HANDLE_WHERE_LANDED,
                dispatcher.decodeIndex(io.netty.buffer.Unpooled.wrappedBuffer(Hex.decode("c", "e7aabbccddeeff00112233"))));
        assertEquals(QuicLbCodecDispatcher.HANDLE_WHERE_LANDED, dispatcher.decodeIndex(null));
        assertEquals(4, dispatcher.dispatched());
        assertEquals(3, dispatcher.handledWhereLanded());
        // Netty makes each channel's generator on that channel's thread; the last one made here was channel 3's, so
        // this thread reads channel 3: datagrams of threads 0, 1 and 2 were moved to their owners, thread 3's stayed.
        assertEquals(3, dispatcher.movedToOwner());
        assertEquals("must be > 0 to dispatch by thread ID: threadIdLength=0", assertThrows(
                IllegalArgumentException.class, () -> dispatcherFor(QuicLbConfig.builder(0, 2, 8).build())).getMessage());
        assertEquals("must be 10..20 for Netty's QuicCodecDispatcher: cidLength=9", assertThrows(
                IllegalArgumentException.class, () -> dispatcherFor(CONFIG)).getMessage());
    }

    private static QuicLbCodecDispatcher dispatcherFor(QuicLbConfig config) {
        return new QuicLbCodecDispatcher(config, ServerId.fromHex("0a01")) {
            @Override
            protected void initChannel(io.netty.channel.Channel channel, int length,
                                       io.netty.handler.codec.quic.QuicConnectionIdGenerator generator) {
            }
        };
    }
}
