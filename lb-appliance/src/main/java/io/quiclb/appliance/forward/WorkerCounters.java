package io.quiclb.appliance.forward;

import io.quiclb.codec.QuicLbConfig;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One worker's counters: one per {@link ForwarderCounter}, one per config ID for datagrams routed by CID, and its
 * gauges (flows by state). Plain longs written with opaque stores by the owning worker only (no lock, no volatile
 * write on the data path) and read with opaque loads by the metrics thread.
 *
 * <p><b>Thread safety:</b> writes only from the owning worker; reads from any thread.
 */
public final class WorkerCounters {
    /** Gauge: unconfirmed flows of the worker now. */
    public static final int UNCONFIRMED_FLOWS = 0;
    /** Gauge: confirmed flows of the worker now. */
    public static final int CONFIRMED_FLOWS = 1;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final ForwarderCounter[] COUNTERS = ForwarderCounter.values();

    private final long[] counts = new long[COUNTERS.length];
    private final long[] routedByConfig = new long[QuicLbConfig.UNROUTABLE_CONFIG_ID + 1];
    private final long[] gauges = new long[2];

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

    void setGauge(int gauge, long value) {
        LONGS.setOpaque(gauges, gauge, value);
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

    /**
     * @param gauge {@link #UNCONFIRMED_FLOWS} or {@link #CONFIRMED_FLOWS}
     * @return its value
     */
    public long gauge(int gauge) {
        return (long) LONGS.getOpaque(gauges, gauge);
    }
}
