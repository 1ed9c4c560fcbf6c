package io.quiclb.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Decoding and encoding allocate nothing per call: the heap bytes this thread allocated across a window of 100,000
 * calls, read from {@link com.sun.management.ThreadMXBean}, are zero.
 *
 * <p>The first windows may carry a one-off of a few hundred bytes from the JIT's tier transitions (on-stack
 * replacement); with {@code -Xint} there is none. So each test measures up to {@value #WINDOWS} windows and requires
 * one to be zero. Any per-call allocation, even of a single object, would put at least 100,000 x 16 bytes into
 * every window.
 */
class AllocationFreeTest {
    private static final byte[] KEY = Hex.decode("key", "8f95f09245765f80256934e50c66207f");
    private static final int CALLS = 100_000;
    private static final int WINDOWS = 5;
    private static com.sun.management.ThreadMXBean threads;

    @BeforeAll
    static void requireAllocationCounting() {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean,
                "this JVM cannot count allocated bytes per thread");
        threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        // The first readings initialise the bean's own state; they must not be charged to the codec.
        for (int i = 0; i < 1_000; i++) {
            threads.getCurrentThreadAllocatedBytes();
        }
    }

    static java.util.stream.Stream<Arguments> shapes() {
        return java.util.stream.Stream.of(
                Arguments.of("plaintext 3/4", QuicLbConfig.builder(0, 3, 4).build()),
                Arguments.of("plaintext 2/6 tid 1, low bits random",
                        QuicLbConfig.builder(0, 2, 6).threadIdLength(1).lengthSelfEncoded(false).build()),
                Arguments.of("single-pass 8/8", QuicLbConfig.builder(1, 8, 8).key(KEY).build()),
                Arguments.of("four-pass 3/4", QuicLbConfig.builder(2, 3, 4).key(KEY).build()),
                Arguments.of("four-pass 10/5", QuicLbConfig.builder(3, 10, 5).key(KEY).build()),
                Arguments.of("four-pass 4/15 tid 2", QuicLbConfig.builder(4, 4, 15).key(KEY).threadIdLength(2)
                        .lengthSelfEncoded(false).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void shouldDecodeWithoutAllocating(String name, QuicLbConfig config) {
        CidEncoder encoder = new CidEncoder(config, serverId(config), 1 % (1 << 8 * config.threadIdLength()));
        byte[][] cids = new byte[64][];
        for (int i = 0; i < cids.length; i++) {
            cids[i] = encoder.nextConnectionId();
        }
        CidDecoder decoder = new CidDecoder(config);
        byte[] out = new byte[QuicLbConfig.MAX_SERVER_ID_LENGTH];
        StringBuilder windows = new StringBuilder();
        for (int window = 0; window < WINDOWS; window++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            long checksum = decodeAll(decoder, cids, out, CALLS);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertEquals((long) config.serverIdLength() * CALLS, checksum);
            if (allocated == 0) {
                return;
            }
            windows.append(allocated).append(' ');
        }
        fail("bytes allocated in each window of " + CALLS + " decodes: " + windows);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void shouldEncodeWithoutAllocating(String name, QuicLbConfig config) {
        CidEncoder encoder = new CidEncoder(config, serverId(config), 1 % (1 << 8 * config.threadIdLength()));
        byte[] cid = new byte[20];
        StringBuilder windows = new StringBuilder();
        for (int window = 0; window < WINDOWS; window++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            long checksum = encodeAll(encoder, cid, CALLS);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertEquals((long) config.cidLength() * CALLS, checksum);
            if (allocated == 0) {
                return;
            }
            windows.append(allocated).append(' ');
        }
        fail("bytes allocated in each window of " + CALLS + " encodes: " + windows);
    }

    private static long decodeAll(CidDecoder decoder, byte[][] cids, byte[] out, int calls) {
        long sum = 0;
        for (int i = 0; i < calls; i++) {
            byte[] cid = cids[i & (cids.length - 1)];
            sum += decoder.decode(cid, 0, cid.length, out, 0);
        }
        return sum;
    }

    private static long encodeAll(CidEncoder encoder, byte[] cid, int calls) {
        long sum = 0;
        for (int i = 0; i < calls; i++) {
            sum += encoder.encode(cid, 0);
        }
        return sum;
    }

    private static ServerId serverId(QuicLbConfig config) {
        byte[] octets = new byte[config.serverIdLength()];
        octets[0] = 0x0a;
        return ServerId.of(octets);
    }
}
