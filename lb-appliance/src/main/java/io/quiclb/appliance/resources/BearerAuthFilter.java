package io.quiclb.appliance.resources;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;

/**
 * Bearer-token access to the API: the read token (or the admin token) for GET and HEAD, the admin token for
 * everything else. No or a wrong token: 401; the read token on a change: 403. Tokens are compared as SHA-256
 * digests with {@link MessageDigest#isEqual}, so neither their content nor their length shows in the time taken.
 *
 * <p><b>Thread safety:</b> immutable; Jersey calls it from many threads.
 */
public final class BearerAuthFilter implements ContainerRequestFilter {
    /** Request property set to Boolean.TRUE when the admin token was presented. */
    public static final String ADMIN = "quiclb.admin";
    private static final String BEARER = "Bearer ";

    private final byte[] readDigest;
    private final byte[] adminDigest;

    /**
     * @param readToken  the read token, or null for none
     * @param adminToken the admin token, or null for none
     */
    public BearerAuthFilter(String readToken, String adminToken) {
        this.readDigest = readToken == null ? null : digest(readToken);
        this.adminDigest = adminToken == null ? null : digest(adminToken);
    }

    @Override
    public void filter(ContainerRequestContext request) {
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        byte[] presented = header != null && header.startsWith(BEARER) ? digest(header.substring(BEARER.length()))
                : null;
        boolean admin = presented != null && adminDigest != null && MessageDigest.isEqual(presented, adminDigest);
        boolean read = admin || presented != null && readDigest != null && MessageDigest.isEqual(presented, readDigest);
        if (!read) {
            request.abortWith(error(Response.Status.UNAUTHORIZED, "a valid bearer token is required")
                    .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"quiclb\"").build());
            return;
        }
        String method = request.getMethod();
        if (!admin && !method.equals("GET") && !method.equals("HEAD")) {
            request.abortWith(error(Response.Status.FORBIDDEN, "changes need the admin token").build());
            return;
        }
        request.setProperty(ADMIN, admin);
    }

    private static Response.ResponseBuilder error(Response.Status status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Map.of("code", status.getStatusCode(), "errors", List.of(message)));
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java platform", e);
        }
    }
}
