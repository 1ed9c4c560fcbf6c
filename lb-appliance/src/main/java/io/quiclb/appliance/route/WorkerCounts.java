package io.quiclb.appliance.route;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One counter per worker, written only by that worker and read by anyone. Writes are opaque stores: as cheap as
 * plain stores on x86, never torn, and eventually visible to the metrics thread, with no volatile write or lock on
 * the data path. Slots are 8 longs apart so workers do not share cache lines.
 *
 * <p><b>Thread safety:</b> {@link #increment} only from the owning worker's thread; {@link #sum} and {@link #get}
 * from any thread.
 */
public final class WorkerCounts {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int SPACING = 8;

    private final long[] counts;

    /**
     * @param workers number of workers
     */
    public WorkerCounts(int workers) {
        this.counts = new long[workers * SPACING];
    }

    /**
     * @param worker the calling worker's index
     */
    public void increment(int worker) {
        int i = worker * SPACING;
        LONGS.setOpaque(counts, i, (long) LONGS.getOpaque(counts, i) + 1);
    }

    /**
     * @param worker a worker's index
     * @return its count
     */
    public long get(int worker) {
        return (long) LONGS.getOpaque(counts, worker * SPACING);
    }

    /** @return the sum over workers */
    public long sum() {
        long sum = 0;
        for (int i = 0; i < counts.length; i += SPACING) {
            sum += (long) LONGS.getOpaque(counts, i);
        }
        return sum;
    }
}
