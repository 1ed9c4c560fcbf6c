package io.quiclb.appliance;

import java.util.function.BooleanSupplier;

/** Bounded waiting for tests: a condition is polled every 10 ms for at most 10 s. */
public final class Await {
    private static final long LIMIT_NANOS = 10_000_000_000L;

    private Await() {
    }

    /**
     * @param condition what to wait for
     * @return whether it held within the limit
     * @throws InterruptedException when interrupted
     */
    public static boolean until(BooleanSupplier condition) throws InterruptedException {
        return until(condition, LIMIT_NANOS);
    }

    /**
     * @param condition what to wait for
     * @param limitNanos how long at most
     * @return whether it held within the limit
     */
    public static boolean until(BooleanSupplier condition, long limitNanos) throws InterruptedException {
        long deadline = System.nanoTime() + limitNanos;
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(10);
        }
        return condition.getAsBoolean();
    }
}
