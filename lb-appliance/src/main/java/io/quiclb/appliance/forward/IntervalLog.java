package io.quiclb.appliance.forward;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Paces the warnings of failure paths: at most one line per interval per cause, each saying how many times the
 * cause occurred since the last line. Between lines a cause costs one counter increment; the caller formats and
 * writes a line only when {@link #due} says so.
 *
 * <pre>{@code
 * long times = pacing.due(CAUSE, now);
 * if (times > 0) {
 *     LOG.warn("worker {}: {} flow(s) dropped (latest: {})", index, times, detail);
 * }
 * }</pre>
 *
 * <p><b>Thread safety:</b> not thread-safe; one instance per worker.
 */
final class IntervalLog {
    /** The interval between two lines about one cause. */
    static final long INTERVAL_SECONDS = 10;

    private final long intervalNanos = TimeUnit.SECONDS.toNanos(INTERVAL_SECONDS);
    private final long[] lastLogged;
    private final long[] since;

    /**
     * @param causes causes are 0 .. causes-1
     */
    IntervalLog(int causes) {
        this.lastLogged = new long[causes];
        this.since = new long[causes];
        Arrays.fill(lastLogged, Long.MIN_VALUE);
    }

    /**
     * Counts one occurrence of {@code cause}.
     *
     * @param now monotonic nanoseconds
     * @return 0 when no line is due; else the occurrences since the last line (this one included), and the count
     *         starts over
     */
    long due(int cause, long now) {
        since[cause]++;
        if (lastLogged[cause] != Long.MIN_VALUE && now - lastLogged[cause] < intervalNanos) {
            return 0;
        }
        long times = since[cause];
        lastLogged[cause] = now;
        since[cause] = 0;
        return times;
    }
}
