package io.quiclb.appliance.auth;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;

/**
 * Bearer-token access to the REST API: the read token (or the admin token) for GET and HEAD, the admin token for
 * everything else. No or a wrong token: 401; the read token on a change: 403. The role is left in the request
 * property {@link #ROLE} for the audit log.
 *
 * <p><b>Thread safety:</b> immutable; Jersey calls it from many threads.
 */
public final class BearerAuthFilter implements ContainerRequestFilter {
    /** Request property set to Boolean.TRUE when the admin token was presented. */
    public static final String ADMIN = "quiclb.admin";
    /** Request property holding the {@link Tokens.Role} presented. */
    public static final String ROLE = "quiclb.role";

    private final Tokens tokens;

    /**
     * @param tokens the tokens in force
     */
    public BearerAuthFilter(Tokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        Tokens.Role role = tokens.roleOf(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        if (role == Tokens.Role.NONE) {
            request.abortWith(error(Response.Status.UNAUTHORIZED, "a valid bearer token is required")
                    .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"quiclb\"").build());
            return;
        }
        String method = request.getMethod();
        if (role != Tokens.Role.ADMIN && !method.equals("GET") && !method.equals("HEAD")) {
            request.abortWith(error(Response.Status.FORBIDDEN, "changes need the admin token").build());
            return;
        }
        request.setProperty(ADMIN, role == Tokens.Role.ADMIN);
        request.setProperty(ROLE, role);
    }

    private static Response.ResponseBuilder error(Response.Status status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Map.of("code", status.getStatusCode(), "errors", List.of(message)));
    }
}
