package io.quiclb.appliance.control;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Deleted config IDs held back from reuse for {@code quicLb.configIdReuseGrace} (draft-21 §3.1: clients may still
 * hold CIDs of the deleted config, which a new config on the same ID would send to the wrong servers). The deletion
 * times are part of the routing state ({@link RoutingState#retired}); entries whose grace passed are dropped at the
 * next change.
 *
 * <p><b>Thread safety:</b> immutable; the clock must be thread-safe.
 *
 * @param graceMillis how long after its deletion a config ID may not be used again; 0 for never held back
 * @param clock       milliseconds since the epoch
 */
record ConfigIdHold(long graceMillis, LongSupplier clock) {
    /** @return the held-back config IDs of {@code retired} whose grace has not passed */
    Map<Integer, Long> current(Map<Integer, Long> retired) {
        long now = clock.getAsLong();
        Map<Integer, Long> held = new HashMap<>();
        retired.forEach((id, at) -> {
            if (now - at < graceMillis) {
                held.put(id, at);
            }
        });
        return held;
    }

    /** @return the holds after deleting {@code configId} now */
    Map<Integer, Long> retire(Map<Integer, Long> retired, int configId) {
        Map<Integer, Long> held = current(retired);
        held.put(configId, clock.getAsLong());
        return held;
    }

    /** @return {@code next} without a hold on {@code configId} (it is in use again), and without expired holds */
    RoutingState released(RoutingState next, int configId) {
        Map<Integer, Long> held = current(next.retired());
        held.remove(configId);
        return new RoutingState(next.configs(), next.servers(), next.draining(), held);
    }

    /**
     * @throws ApiException 409 naming when the config ID may be used again, if it is held back
     */
    void refuseReuse(Map<Integer, Long> retired, int configId) {
        Long deleted = current(retired).get(configId);
        if (deleted != null) {
            throw new ApiException(ApiException.CONFLICT, List.of("configId: config ID " + configId
                    + " was deleted at " + Instant.ofEpochMilli(deleted) + "; clients may still hold its CIDs, so it is"
                    + " held back until " + Instant.ofEpochMilli(deleted + graceMillis)
                    + " (quicLb.configIdReuseGrace, draft-21 §3.1): use another free config ID",
                    "force: to use it anyway, repeat the request with ?force=true"));
        }
    }
}
