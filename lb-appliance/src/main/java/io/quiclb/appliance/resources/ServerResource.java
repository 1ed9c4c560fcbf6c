package io.quiclb.appliance.resources;

import io.quiclb.appliance.api.EncoderView;
import io.quiclb.appliance.api.ServerRequest;
import io.quiclb.appliance.api.ServerView;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ProbeKind;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.control.ApiException;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.control.RoutingState;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.appliance.route.ServerHandle;
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code /api/v1/servers}: the backend servers, draining, and what each must configure to issue CIDs.
 *
 * <p><b>Thread safety:</b> stateless; the control plane serializes changes.
 */
@Path("/api/v1/servers")
@Produces(MediaType.APPLICATION_JSON)
public final class ServerResource {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final ControlPlane control;
    private final RoutingService routing;

    /**
     * @param control the control plane
     * @param routing the routing service, for forwarded counts
     */
    public ServerResource(ControlPlane control, RoutingService routing) {
        this.control = control;
        this.routing = routing;
    }

    /** @return every server */
    @GET
    public List<ServerView> list() {
        RoutingState state = control.state();
        return state.servers().stream().map(s -> view(s, state)).toList();
    }

    /**
     * @param name a server's name
     * @return the server
     */
    @GET
    @Path("{name}")
    public ServerView get(@PathParam("name") String name) {
        RoutingState state = control.state();
        return view(find(state, name), state);
    }

    /**
     * Adds or replaces a server.
     *
     * @param name    its name
     * @param request its addresses and server IDs
     * @return the server as stored
     */
    @PUT
    @Path("{name}")
    public ServerView put(@PathParam("name") String name, @Valid @NotNull ServerRequest request) {
        List<String> errors = new ArrayList<>();
        if (!NAME.matcher(name).matches()) {
            errors.add("name: must be 1..64 of A-Z a-z 0-9 . _ -: " + name);
        }
        HostPort address = parse("address", request.address(), errors);
        List<HostPort> sockets = new ArrayList<>();
        List<String> socketTexts = request.threadSockets() == null ? List.of() : request.threadSockets();
        for (int i = 0; i < socketTexts.size(); i++) {
            sockets.add(parse("threadSockets[" + i + "]", socketTexts.get(i), errors));
        }
        ProbeKind probe = null;
        if (request.probe() != null) {
            try {
                probe = ProbeKind.parse(request.probe());
            } catch (IllegalArgumentException e) {
                errors.add("probe: " + e.getMessage());
            }
        }
        if (!errors.isEmpty()) {
            throw new ApiException(ApiException.UNPROCESSABLE, errors);
        }
        control.putServer(new ServerEntry(name, address, request.serverIds(), sockets, probe));
        return get(name);
    }

    /**
     * @param name a server's name
     * @return 204
     */
    @DELETE
    @Path("{name}")
    public Response delete(@PathParam("name") String name) {
        control.deleteServer(name);
        return Response.noContent().build();
    }

    /**
     * Stops new first flights to the server; datagrams whose CIDs name it still reach it.
     *
     * @param name a server's name
     * @return the server
     */
    @POST
    @Path("{name}/drain")
    public ServerView drain(@PathParam("name") String name) {
        control.setDraining(name, true);
        return get(name);
    }

    /**
     * Lets the server take new first flights again.
     *
     * @param name a server's name
     * @return the server
     */
    @POST
    @Path("{name}/undrain")
    public ServerView undrain(@PathParam("name") String name) {
        control.setDraining(name, false);
        return get(name);
    }

    /**
     * What the server must configure to issue CIDs, one entry per configuration it has a server ID in. The key is
     * included only for the admin token.
     *
     * @param name    a server's name
     * @param request the request, which says whether the admin token was presented
     * @return the encoder parameters
     */
    @GET
    @Path("{name}/encoder")
    public List<EncoderView> encoder(@PathParam("name") String name, @Context ContainerRequestContext request) {
        RoutingState state = control.state();
        ServerEntry server = find(state, name);
        boolean admin = Boolean.TRUE.equals(request.getProperty(BearerAuthFilter.ADMIN));
        List<EncoderView> views = new ArrayList<>();
        for (LbConfigEntry entry : state.configs()) {
            String sid = server.serverIds().get(entry.configId());
            if (sid == null) {
                continue;
            }
            QuicLbConfig config = entry.toQuicLbConfig();
            String key = admin && entry.key() != null ? Hex.encode(entry.key().toBytes()) : null;
            views.add(new EncoderView(config.configId(), config.serverIdLength(), config.nonceLength(),
                    config.threadIdLength(), config.lengthSelfEncoded(), sid.toLowerCase(java.util.Locale.ROOT),
                    config.keyFingerprint(), key));
        }
        return views;
    }

    private ServerView view(ServerEntry server, RoutingState state) {
        long forwarded = 0;
        for (ServerHandle handle : routing.current().servers()) {
            if (handle.name().equals(server.name())) {
                forwarded = handle.forwarded().sum();
            }
        }
        List<Integer> threadSocketsDown = new java.util.ArrayList<>();
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

    private static ServerEntry find(RoutingState state, String name) {
        return state.servers().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new ApiException(ApiException.NOT_FOUND, List.of("name: no server " + name)));
    }

    private static HostPort parse(String field, String text, List<String> errors) {
        try {
            HostPort address = HostPort.parse(text);
            address.resolve();
            return address;
        } catch (IllegalArgumentException e) {
            errors.add(field + ": " + e.getMessage());
            return null;
        }
    }
}
