package io.quiclb.appliance.config;

import jakarta.validation.constraints.NotEmpty;

/**
 * The {@code api} section: the REST API's state file and bearer tokens. A token that is empty or absent turns that
 * level of access off: with no {@code adminToken}, nothing can be changed; with neither, the API answers 401.
 *
 * <p><b>Thread safety:</b> immutable. {@link #toString()} never shows a token.
 *
 * @param stateFile  where accepted changes are persisted (default {@code state/quiclb-state.json})
 * @param readToken  bearer token for GET requests; the admin token works for them too
 * @param adminToken bearer token for every request
 */
public record ApiSettings(@NotEmpty String stateFile, String readToken, String adminToken) {
    /** Tokens shorter than this are refused: they could be guessed. */
    public static final int MIN_TOKEN_LENGTH = 16;

    /** Fills in defaults and validates the tokens without echoing them. */
    public ApiSettings {
        stateFile = stateFile == null ? "state/quiclb-state.json" : stateFile;
        readToken = emptyToNull("api.readToken", readToken);
        adminToken = emptyToNull("api.adminToken", adminToken);
    }

    /** @return every default: a state file under ./state and the API locked */
    public static ApiSettings defaults() {
        return new ApiSettings(null, null, null);
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
                + ", adminToken=" + (adminToken == null ? "unset" : "[REDACTED]") + '}';
    }
}
