package io.quiclb.appliance.config;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code api} section: the REST API's state file, bearer tokens, request limits and audit history, and which
 * admin pages need no token. A token that is empty or absent turns that level of access off: with no
 * {@code adminToken}, nothing can be changed and no admin-only page answers; with neither, the API answers 401.
 *
 * <p><b>Thread safety:</b> immutable. {@link #toString()} never shows a token.
 *
 * @param stateFile        where accepted changes are persisted (default {@code state/quiclb-state.json})
 * @param readToken        bearer token for GET requests, health checks and metrics; the admin token works too
 * @param adminToken       bearer token for every request and admin page
 * @param publicAdminPages admin pages that need no token (default {@code [ping]}); only pages that report
 *                         ({@link #READ_PAGES}) may be listed
 * @param maxRequestBytes  largest request body accepted, in octets (default 65536; larger: 413)
 * @param auditHistory     accepted changes kept for {@code GET /api/v1/audit} (default 1000; older ones are
 *                         only in the log)
 */
public record ApiSettings(@NotEmpty String stateFile, String readToken, String adminToken,
                          List<String> publicAdminPages, @Min(1024) @Max(16 << 20) Integer maxRequestBytes,
                          @Min(1) @Max(1_000_000) Integer auditHistory) {
    /** The admin pages that report without changing anything or revealing more than metrics. */
    public static final Set<String> READ_PAGES = Set.of("healthcheck", "metrics", "prometheus", "ping");
    /** Tokens shorter than this are refused: they could be guessed. */
    public static final int MIN_TOKEN_LENGTH = 16;

    /** Fills in defaults and validates the tokens without echoing them. */
    public ApiSettings {
        stateFile = stateFile == null ? "state/quiclb-state.json" : stateFile;
        readToken = emptyToNull("api.readToken", readToken);
        adminToken = emptyToNull("api.adminToken", adminToken);
        publicAdminPages = publicAdminPages == null ? List.of("ping") : List.copyOf(publicAdminPages);
        for (String page : publicAdminPages) {
            if (!READ_PAGES.contains(page)) {
                throw new IllegalArgumentException("api.publicAdminPages: must list only pages that report ("
                        + String.join(", ", new TreeSet<>(READ_PAGES))
                        + "); tasks, thread dumps and profiles always need the admin token: " + page);
            }
        }
        maxRequestBytes = maxRequestBytes == null ? 65536 : maxRequestBytes;
        auditHistory = auditHistory == null ? 1000 : auditHistory;
    }

    /** @return every default: a state file under ./state and the API locked */
    public static ApiSettings defaults() {
        return new ApiSettings(null, null, null, null, null, null);
    }

    /** @return the admin pages that need no token */
    public Set<String> publicPages() {
        return Set.copyOf(publicAdminPages);
    }

    private static String emptyToNull(String name, String token) {
        if (token == null || token.isEmpty()) {
            return null;
        }
        if (token.length() < MIN_TOKEN_LENGTH) {
            throw new IllegalArgumentException("must be at least " + MIN_TOKEN_LENGTH + " characters: " + name
                    + " has " + token.length());
        }
        return token;
    }

    @Override
    public String toString() {
        return "ApiSettings{stateFile=" + stateFile + ", readToken=" + (readToken == null ? "unset" : "[REDACTED]")
                + ", adminToken=" + (adminToken == null ? "unset" : "[REDACTED]") + ", publicAdminPages="
                + publicAdminPages + ", maxRequestBytes=" + maxRequestBytes + ", auditHistory=" + auditHistory + '}';
    }
}
