package io.quiclb.appliance.auth;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Bearer-token access to Dropwizard's admin pages ({@code server.adminContextPath}). The pages that only report
 * ({@code healthcheck}, {@code metrics}, {@code prometheus}, {@code ping}) take the read or the admin token; every
 * other page (tasks such as {@code log-level} and {@code gc}, thread dumps, CPU profiles, the menu) takes the admin
 * token. Pages named in {@code api.publicAdminPages} need no token (default: {@code ping}, for liveness probes).
 * Without a token: 401; the read token on an admin-only page: 403. Answers use the API's error shape.
 *
 * <p><b>Thread safety:</b> immutable; Jetty calls it from many threads.
 */
public final class AdminPagesFilter implements Filter {
    /** The admin pages that report without changing anything or revealing more than metrics. */
    public static final Set<String> READ_PAGES = Set.of("healthcheck", "metrics", "prometheus", "ping");

    private final Tokens tokens;
    private final Set<String> publicPages;

    /**
     * @param tokens      the tokens in force
     * @param publicPages pages reachable without a token (first path segment under the admin context)
     */
    public AdminPagesFilter(Tokens tokens, Set<String> publicPages) {
        this.tokens = tokens;
        this.publicPages = Set.copyOf(publicPages);
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        String page = page(request);
        if (publicPages.contains(page)) {
            chain.doFilter(req, res);
            return;
        }
        Tokens.Role role = tokens.roleOf(request.getHeader("Authorization"));
        if (role == Tokens.Role.NONE) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"quiclb\"");
            refuse(response, 401, "a valid bearer token is required for the admin page /" + page);
            return;
        }
        if (role != Tokens.Role.ADMIN && !READ_PAGES.contains(page)) {
            refuse(response, 403, "the admin page /" + page + " needs the admin token");
            return;
        }
        chain.doFilter(req, res);
    }

    /** @return the first path segment under the admin context ("" for the menu) */
    static String page(HttpServletRequest request) {
        String uri = request.getRequestURI();
        String path = uri.substring(Math.min(uri.length(), request.getContextPath().length()));
        int start = path.startsWith("/") ? 1 : 0;
        int end = path.indexOf('/', start);
        return path.substring(start, end < 0 ? path.length() : end);
    }

    private static void refuse(HttpServletResponse response, int status, String message) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        byte[] body = ("{\"code\":" + status + ",\"errors\":[\"" + message.replace("\\", "\\\\").replace("\"", "\\\"")
                + "\"]}").getBytes(StandardCharsets.UTF_8);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
