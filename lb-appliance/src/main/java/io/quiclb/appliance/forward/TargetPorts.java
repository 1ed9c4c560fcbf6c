package io.quiclb.appliance.forward;

import java.util.Arrays;

/**
 * For one target of a worker's {@link UpstreamPorts}: which ports of its address family have a flow to it, and which
 * places are cooling (given back during this period or the last), as bit sets; and whether its path refused GSO.
 *
 * <p><b>Thread safety:</b> not thread-safe; used only on its worker's event loop.
 */
final class TargetPorts {
    final boolean ipv6;
    long[] bits = new long[1];
    long[] coolingNow = new long[1];
    long[] coolingBefore = new long[1];
    boolean gsoRefused;

    TargetPorts(boolean ipv6) {
        this.ipv6 = ipv6;
    }

    /** Forgets the cooling of places at {@code index} and above (their sockets were closed). */
    void forgetFrom(int index) {
        for (long[] set : new long[][] {coolingNow, coolingBefore}) {
            for (int w = index >>> 6; w < set.length; w++) {
                set[w] &= w == index >>> 6 ? (1L << (index & 63)) - 1 : 0;
            }
        }
    }

    /** @return the first port without a flow to the target (and not cooling, when asked), at most {@code limit} */
    int firstFree(int limit, boolean skipCooling) {
        for (int w = 0; w < bits.length; w++) {
            long taken = bits[w];
            if (skipCooling) {
                taken |= word(coolingNow, w) | word(coolingBefore, w);
            }
            long free = ~taken;
            if (free != 0) {
                return Math.min(w << 6 | Long.numberOfTrailingZeros(free), limit);
            }
        }
        return Math.min(bits.length << 6, limit);
    }

    boolean isSet(int i) {
        return (word(bits, i >>> 6) & 1L << i) != 0;
    }

    void set(int i) {
        bits = grown(bits, i);
        bits[i >>> 6] |= 1L << i;
        if (i >>> 6 < coolingNow.length) {
            coolingNow[i >>> 6] &= ~(1L << i);
        }
        if (i >>> 6 < coolingBefore.length) {
            coolingBefore[i >>> 6] &= ~(1L << i);
        }
    }

    void clear(int i) {
        if (i >>> 6 < bits.length) {
            bits[i >>> 6] &= ~(1L << i);
        }
        cool(i);
    }

    void cool(int i) {
        coolingNow = grown(coolingNow, i);
        coolingNow[i >>> 6] |= 1L << i;
    }

    void rotateCooling() {
        long[] cooled = coolingBefore;
        coolingBefore = coolingNow;
        Arrays.fill(cooled, 0);
        coolingNow = cooled;
    }

    private static long word(long[] set, int w) {
        return w < set.length ? set[w] : 0;
    }

    private static long[] grown(long[] set, int i) {
        return i >>> 6 < set.length ? set : Arrays.copyOf(set, Math.max(set.length * 2, (i >>> 6) + 1));
    }
}
