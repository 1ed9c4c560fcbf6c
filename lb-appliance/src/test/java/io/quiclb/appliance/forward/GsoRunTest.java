package io.quiclb.appliance.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shape rules of a UDP GSO run, and that it releases every buffer it takes. */
class GsoRunTest {
    private static final ByteBufAllocator ALLOCATOR = UnpooledByteBufAllocator.DEFAULT;

    @Test
    void shouldHandBackALoneDatagramUncopied() {
        GsoRun run = new GsoRun();
        ByteBuf datagram = datagram(100, 1);
        assertTrue(run.offer(datagram, ALLOCATOR));
        assertSame(datagram, run.takeSingle());
        assertEquals(0, run.segments());
        datagram.release();
    }

    @Test
    void shouldGatherEqualSizesAndOneShorterLastThenRefuse() {
        GsoRun run = new GsoRun();
        List<ByteBuf> offered = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            offered.add(datagram(100, i));
        }
        offered.add(datagram(40, 9));
        byte[] expected = concatenation(offered);
        for (ByteBuf datagram : offered) {
            assertTrue(run.offer(datagram, ALLOCATOR));
        }
        ByteBuf after = datagram(40, 10);
        assertFalse(run.offer(after, ALLOCATOR), "a shorter datagram closes the run");
        ByteBuf longer = datagram(101, 11);
        assertFalse(run.offer(longer, ALLOCATOR), "nothing longer than the segment size");
        assertEquals(4, run.segments());
        assertEquals(100, run.segmentSize());
        assertNull(run.takeSingle());
        ByteBuf gathered = run.takeGathered();
        assertArrayEquals(expected, ByteBufUtil.getBytes(gathered));
        gathered.release();
        for (ByteBuf datagram : offered) {
            assertEquals(0, datagram.refCnt(), "copied into the run and released");
        }
        after.release();
        longer.release();
    }

    @Test
    void shouldStopAtTheSegmentAndByteLimits() {
        GsoRun small = new GsoRun();
        for (int i = 0; i < GsoRun.MAX_SEGMENTS; i++) {
            assertTrue(small.offer(datagram(10, i), ALLOCATOR));
        }
        ByteBuf extra = datagram(10, 0);
        assertFalse(small.offer(extra, ALLOCATOR));
        extra.release();
        small.discard();

        GsoRun large = new GsoRun();
        int fits = GsoRun.MAX_BYTES / 1300;
        for (int i = 0; i < fits; i++) {
            assertTrue(large.offer(datagram(1300, i), ALLOCATOR));
        }
        ByteBuf over = datagram(1300, 0);
        assertFalse(large.offer(over, ALLOCATOR), fits + " datagrams of 1300 octets fill " + GsoRun.MAX_BYTES);
        over.release();
        ByteBuf gathered = large.takeGathered();
        assertEquals(fits * 1300, gathered.readableBytes());
        gathered.release();
    }

    @Test
    void shouldReleaseWhatItHoldsWhenDiscarded() {
        GsoRun lone = new GsoRun();
        ByteBuf single = datagram(50, 1);
        lone.offer(single, ALLOCATOR);
        lone.discard();
        assertEquals(0, single.refCnt());

        GsoRun two = new GsoRun();
        two.offer(datagram(50, 1), ALLOCATOR);
        two.offer(datagram(50, 2), ALLOCATOR);
        two.discard();
        assertEquals(0, two.segments());
        assertNull(two.takeGathered(), "nothing left to send");
    }

    private static ByteBuf datagram(int length, int fill) {
        byte[] bytes = new byte[length];
        java.util.Arrays.fill(bytes, (byte) fill);
        return Unpooled.wrappedBuffer(bytes);
    }

    private static byte[] concatenation(List<ByteBuf> datagrams) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (ByteBuf datagram : datagrams) {
            all.writeBytes(ByteBufUtil.getBytes(datagram));
        }
        return all.toByteArray();
    }
}
