package io.quiclb.appliance.forward;

import io.quiclb.codec.QuicLbConfig;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One worker's counters: one per {@link ForwarderCounter} and, for datagrams routed by CID, one per config ID.
 * Plain longs written with opaque stores by the owning worker only (no lock, no volatile write on the data path)
 * and read with opaque loads by the metrics thread.
 *
 * <p><b>Thread safety:</b> {@code increment} only from the owning worker; reads from any thread.
 */
public final class WorkerCounters {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final ForwarderCounter[] COUNTERS = ForwarderCounter.values();

    private final long[] counts = new long[COUNTERS.length];
    private final long[] routedByConfig = new long[QuicLbConfig.UNROUTABLE_CONFIG_ID + 1];

    void increment(ForwarderCounter counter) {
        int i = counter.ordinal();
        LONGS.setOpaque(counts, i, (long) LONGS.getOpaque(counts, i) + 1);
    }

    void add(ForwarderCounter counter, long amount) {
        int i = counter.ordinal();
        LONGS.setOpaque(counts, i, (long) LONGS.getOpaque(counts, i) + amount);
    }

    void incrementRoutedByConfig(int configId) {
        LONGS.setOpaque(routedByConfig, configId, (long) LONGS.getOpaque(routedByConfig, configId) + 1);
    }

    /**
     * @param counter a counter
     * @return its value
     */
    public long get(ForwarderCounter counter) {
        return (long) LONGS.getOpaque(counts, counter.ordinal());
    }

    /**
     * @param configId 0..6
     * @return datagrams routed by a CID of that configuration
     */
    public long routedByConfig(int configId) {
        return (long) LONGS.getOpaque(routedByConfig, configId);
    }
}
