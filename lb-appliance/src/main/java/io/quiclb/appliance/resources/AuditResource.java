package io.quiclb.appliance.resources;

import io.quiclb.appliance.audit.AuditEntry;
import io.quiclb.appliance.audit.AuditHistory;
import io.quiclb.appliance.control.ApiException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/**
 * {@code GET /api/v1/audit?limit=N}: the newest accepted changes, newest first (at most {@code api.auditHistory}
 * are kept; the {@code quiclb.audit} log has every one).
 *
 * <p><b>Thread safety:</b> stateless; the history is thread-safe.
 */
@Path("/api/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
public final class AuditResource {
    private final AuditHistory history;

    /**
     * @param history the audit history
     */
    public AuditResource(AuditHistory history) {
        this.history = history;
    }

    /**
     * @param limit at most this many, 1..10000 (default 100)
     * @return the newest entries, newest first
     */
    @GET
    public List<AuditEntry> newest(@QueryParam("limit") String limit) {
        int n = 100;
        if (limit != null) {
            try {
                n = Integer.parseInt(limit);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > 10_000) {
                throw new ApiException(ApiException.UNPROCESSABLE, List.of("limit: must be 1..10000: " + limit));
            }
        }
        return history.newest(n);
    }
}
