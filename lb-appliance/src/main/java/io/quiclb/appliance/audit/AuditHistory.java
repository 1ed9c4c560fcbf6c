package io.quiclb.appliance.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records accepted changes: each is logged as one line of JSON on the logger {@code quiclb.audit} (route it to a
 * file of its own with a logback appender to keep it longer) and kept in a bounded history, newest last, for
 * {@code GET /api/v1/audit}.
 *
 * <p><b>Thread safety:</b> thread-safe; {@link #record} and {@link #newest} synchronize on the history.
 */
public final class AuditHistory {
    /** The logger of the audit lines; INFO even when {@code logging.level} is higher, unless logging.loggers sets it. */
    public static final String LOGGER = "quiclb.audit";
    private static final Logger AUDIT = LoggerFactory.getLogger(LOGGER);

    private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private final ArrayDeque<AuditEntry> entries = new ArrayDeque<>();
    private final int capacity;
    private final Clock clock;
    private long sequence;

    /**
     * @param capacity entries kept; older ones are dropped from the history (not from the log)
     * @param clock    the time of each entry
     */
    public AuditHistory(int capacity, Clock clock) {
        this.capacity = capacity;
        this.clock = clock;
    }

    /**
     * Logs and keeps one accepted change.
     *
     * @param actor  who
     * @param action what
     * @param before the entity before, or null
     * @param after  the entity after, or null
     * @param forced what {@code ?force=true} allowed to break
     * @return the entry
     */
    public synchronized AuditEntry record(String actor, String action, Map<String, Object> before,
                                          Map<String, Object> after, List<String> forced) {
        AuditEntry entry = new AuditEntry(++sequence, clock.instant(), actor, action, before, after, forced);
        entries.addLast(entry);
        while (entries.size() > capacity) {
            entries.removeFirst();
        }
        try {
            AUDIT.info("audit {}", json.writeValueAsString(entry));
        } catch (JsonProcessingException e) {
            AUDIT.error("audit entry {} ({} by {}) could not be written as JSON: {}", entry.sequence(), action, actor,
                    e.getOriginalMessage());
        }
        return entry;
    }

    /**
     * @param limit at most this many
     * @return the newest entries, newest first
     */
    public synchronized List<AuditEntry> newest(int limit) {
        List<AuditEntry> newest = new ArrayList<>(Math.min(limit, entries.size()));
        var iterator = entries.descendingIterator();
        while (iterator.hasNext() && newest.size() < limit) {
            newest.add(iterator.next());
        }
        return newest;
    }
}
