package io.quiclb.appliance.resources;

import io.quiclb.appliance.api.ConfigView;
import io.quiclb.appliance.api.DryRunView;
import io.quiclb.appliance.api.ServerView;
import io.quiclb.appliance.auth.BearerAuthFilter;
import io.quiclb.appliance.auth.Tokens;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.control.ApiException;
import io.quiclb.appliance.control.Change;
import io.quiclb.appliance.control.ChangeResult;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.control.RoutingState;
import io.quiclb.appliance.route.RoutingService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.container.ContainerRequestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the resources share about changes: reading {@code ?force} and {@code ?dryRun} strictly, naming the actor for
 * the audit log, and showing servers and dry-run results.
 *
 * <p><b>Thread safety:</b> immutable; reads the thread-safe control plane and routing service.
 */
final class Changes {
    private final ControlPlane control;
    private final RoutingService routing;

    Changes(ControlPlane control, RoutingService routing) {
        this.control = control;
        this.routing = routing;
    }

    /**
     * @return the change a request asks for
     * @throws ApiException 422 when force or dryRun is not true or false
     */
    static Change of(ContainerRequestContext request, HttpServletRequest http, String force, String dryRun) {
        Object role = request.getProperty(BearerAuthFilter.ROLE);
        String actor = (role instanceof Tokens.Role r ? r.name().toLowerCase(Locale.ROOT) : "unknown") + "@"
                + (http == null ? "?" : http.getRemoteAddr());
        List<String> errors = new ArrayList<>();
        boolean forced = flag("force", force, errors);
        boolean dry = flag("dryRun", dryRun, errors);
        if (!errors.isEmpty()) {
            throw new ApiException(ApiException.UNPROCESSABLE, errors);
        }
        return new Change(actor, forced, dry);
    }

    private static boolean flag(String name, String text, List<String> errors) {
        if (text == null || text.equals("false")) {
            return false;
        }
        if (text.isEmpty() || text.equals("true")) {
            return true;
        }
        errors.add(name + ": must be true or false: " + text);
        return false;
    }

    /** @return the dry run's answer */
    DryRunView dryRun(ChangeResult result) {
        RoutingState state = result.state();
        return new DryRunView(true, result.forced(), state.configs().stream().map(ConfigView::of).toList(),
                state.servers().stream().map(s -> view(s, state)).toList());
    }

    /** @return a server as the API shows it */
    ServerView view(ServerEntry server, RoutingState state) {
        long forwarded = routing.current().forwardedTo(server.name());
        List<Integer> threadSocketsDown = new ArrayList<>();
        for (int thread = 0; thread < server.threadSockets().size(); thread++) {
            if (control.isThreadSocketDown(server.threadSockets().get(thread).resolve())) {
                threadSocketsDown.add(thread);
            }
        }
        return new ServerView(server.name(), server.address().toString(), server.serverIds(),
                server.threadSockets().stream().map(HostPort::toString).toList(),
                state.draining().contains(server.name()), control.isHealthy(server.name()), threadSocketsDown,
                forwarded, server.probe().configName());
    }
}
