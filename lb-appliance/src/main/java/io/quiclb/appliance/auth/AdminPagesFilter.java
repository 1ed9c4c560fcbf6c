package io.quiclb.appliance.auth;

import io.quiclb.appliance.config.ApiSettings;
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
 * token. Pages named in {@code api.publicAdminPages} need no token (default: {@code ping}, for liveness probes), and
 * only at their exact path. The decision is taken on the path the servlets will see; a request URI that differs from
 * it ({@code ..}, {@code //}, {@code ;}, percent-encoding) is refused with 400.
 * Without a token: 401; the read token on an admin-only page: 403. Answers use the API's error shape.
 *
 * <p><b>Thread safety:</b> immutable; Jetty calls it from many threads.
 */
public final class AdminPagesFilter implements Filter {
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
        String path = canonicalPath(request);
        if (path == null) {
            refuse(response, 400, "path: must be canonical (no empty, '.' or '..' segments, ';' or"
                    + " percent-encoding) on the admin pages");
            return;
        }
        String page = page(path);
        if (publicPages.contains(page) && path.equals("/" + page)) {
            chain.doFilter(req, res);
            return;
        }
        Tokens.Role role = tokens.roleOf(request.getHeader("Authorization"));
        if (role == Tokens.Role.NONE) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"quiclb\"");
            refuse(response, 401, "a valid bearer token is required for the admin page /" + page);
            return;
        }
        if (role != Tokens.Role.ADMIN && !ApiSettings.READ_PAGES.contains(page)) {
            refuse(response, 403, "the admin page /" + page + " needs the admin token");
            return;
        }
        chain.doFilter(req, res);
    }

    /**
     * The path under the admin context as the servlets see it (Jetty's canonical form), or null when the raw URI
     * says something else: the decision is taken on what will run, and a URI that could mean two things (a {@code ..}
     * segment that steps from a public page into a protected one) is refused.
     */
    static String canonicalPath(HttpServletRequest request) {
        String servletPath = request.getServletPath() == null ? "" : request.getServletPath();
        String pathInfo = request.getPathInfo() == null ? "" : request.getPathInfo();
        String canonical = servletPath + pathInfo;
        String uri = request.getRequestURI();
        String context = request.getContextPath() == null ? "" : request.getContextPath();
        String raw = uri.startsWith(context) ? uri.substring(context.length()) : uri;
        if (!raw.equals(canonical) || raw.contains("//") || raw.contains(";") || raw.contains("%")) {
            return null;
        }
        return canonical;
    }

    /** @return the first segment of a canonical path ("" for the menu) */
    static String page(String path) {
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
