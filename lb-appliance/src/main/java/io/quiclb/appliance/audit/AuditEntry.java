package io.quiclb.appliance.audit;

import com.fasterxml.jackson.annotation.JsonFormat;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One accepted change: who made it, what it was, and the entity before and after, with keys shown only by their
 * fingerprints.
 *
 * <p><b>Thread safety:</b> immutable (the maps come from {@code Map.copyOf} or are unmodifiable).
 *
 * @param sequence  1, 2, ... since this process started
 * @param time      when it was applied (ISO-8601 in JSON, e.g. {@code 2026-11-30T08:10:02.113Z})
 * @param actor     who: the token's role and the client's address, e.g. {@code admin@127.0.0.1}
 * @param action    what: e.g. {@code PUT configs/1}, {@code PATCH servers/s1}, {@code drain servers/s1}
 * @param before    the entity before, or null when it did not exist
 * @param after     the entity after, or null when it was deleted
 * @param forced    what the change broke that {@code ?force=true} allowed (empty when nothing)
 */
public record AuditEntry(long sequence, @JsonFormat(shape = JsonFormat.Shape.STRING) Instant time, String actor, String action, Map<String, Object> before,
                         Map<String, Object> after, List<String> forced) {
    /** Copies the list. */
    public AuditEntry {
        forced = List.copyOf(forced);
    }
}
