package io.quiclb.appliance.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The API's two bearer tokens and the role an {@code Authorization} header presents. Tokens are compared as SHA-256
 * digests with {@link MessageDigest#isEqual}, so neither their content nor their length shows in the time taken.
 *
 * <p><b>Thread safety:</b> immutable; used from every HTTP thread.
 */
public final class Tokens {
    private static final String BEARER = "Bearer ";

    /** What a request may do. */
    public enum Role {
        /** No valid token. */
        NONE,
        /** The read token: GET and HEAD on the API, health checks and metrics on the admin pages. */
        READ,
        /** The admin token: everything. */
        ADMIN
    }

    private final byte[] readDigest;
    private final byte[] adminDigest;

    /**
     * @param readToken  the read token, or null for none
     * @param adminToken the admin token, or null for none
     */
    public Tokens(String readToken, String adminToken) {
        this.readDigest = readToken == null ? null : digest(readToken);
        this.adminDigest = adminToken == null ? null : digest(adminToken);
    }

    /**
     * @param authorization the {@code Authorization} header, or null
     * @return the role its bearer token grants
     */
    public Role roleOf(String authorization) {
        if (authorization == null || !authorization.startsWith(BEARER)) {
            return Role.NONE;
        }
        byte[] presented = digest(authorization.substring(BEARER.length()));
        if (adminDigest != null && MessageDigest.isEqual(presented, adminDigest)) {
            return Role.ADMIN;
        }
        if (readDigest != null && MessageDigest.isEqual(presented, readDigest)) {
            return Role.READ;
        }
        return Role.NONE;
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java platform", e);
        }
    }
}
