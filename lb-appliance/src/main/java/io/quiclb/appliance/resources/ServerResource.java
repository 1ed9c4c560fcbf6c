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
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quiclb.appliance.auth.BearerAuthFilter;
import io.quiclb.appliance.control.Change;
import io.quiclb.appliance.control.ChangeResult;
import io.quiclb.appliance.input.MergePatch;
import io.quiclb.appliance.input.StrictJson;
import io.quiclb.appliance.api.DryRunView;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.parameters.RequestBody;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code /api/v1/servers}: the backend servers, draining, and what each must configure to issue CIDs. Every change
 * takes {@code ?dryRun=true} and, when it would break live connections, needs {@code ?force=true}
 * ({@link io.quiclb.appliance.control.ChangeGuard}).
 *
 * <p><b>Thread safety:</b> stateless; the control plane serializes changes.
 */
@Path("/api/v1/servers")
@Produces(MediaType.APPLICATION_JSON)
public final class ServerResource {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final ControlPlane control;
    private final Changes changes;
    private final StrictJson json;
    private final io.quiclb.appliance.control.EncoderState encoders;

    /**
     * @param control  the control plane
     * @param routing  the routing service, for forwarded counts
     * @param json     reads merged patches strictly
     * @param encoders the state servers may be given: the state in force, or in a fleet what every appliance applied
     */
    public ServerResource(ControlPlane control, RoutingService routing, StrictJson json,
                          io.quiclb.appliance.control.EncoderState encoders) {
        this.control = control;
        this.changes = new Changes(control, routing);
        this.json = json;
        this.encoders = encoders;
    }

    /** @return every server */
    @GET
    public List<ServerView> list() {
        RoutingState state = control.state();
        return state.servers().stream().map(s -> changes.view(s, state)).toList();
    }

    /**
     * @param name a server's name
     * @return the server
     */
    @GET
    @Path("{name}")
    public ServerView get(@PathParam("name") String name) {
        RoutingState state = control.state();
        return changes.view(find(state, name), state);
    }

    /**
     * Adds or replaces a server: fields left out get their defaults (no thread sockets, Version Negotiation probes).
     * To change some fields only, use PATCH.
     *
     * @param name    its name
     * @param request its addresses and server IDs
     * @param force   {@code true} to apply it even when it would make live CIDs unroutable
     * @param dryRun  {@code true} to answer what it would do and apply nothing
     * @param context the request, for the token's role
     * @param http    the request, for the client's address
     * @return the server as stored, or the dry run's answer
     */
    @ApiResponse(responseCode = "200", description = "the entity as stored; with ?dryRun=true the state the change"
            + " would make", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(oneOf = {ServerView.class, DryRunView.class})))
    @PUT
    @Path("{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Object put(@PathParam("name") String name, @NotNull ServerRequest request,
                      @QueryParam("force") String force, @QueryParam("dryRun") String dryRun,
                      @Context ContainerRequestContext context, @Context HttpServletRequest http) {
        return apply("PUT", name, request, Changes.of(context, http, force, dryRun));
    }

    /**
     * A server registers itself: it is given the lowest free server ID in every config (AWS's load balancer
     * controller gives each pod one the same way). A server already registered under that name and address gets
     * its entry as it is (200). Its CIDs are routable once every appliance applied the change; in a fleet,
     * {@code GET {name}/encoder} offers the configs once they have.
     *
     * @param request its name and addresses, without server IDs
     * @param dryRun  {@code true} to answer what it would do and apply nothing
     * @param context the request, for the token's role
     * @param http    the request, for the client's address
     * @return 201 with the server as stored (200 when it was registered already), or the dry run's answer
     */
    @ApiResponse(responseCode = "201", description = "the server as stored, with its server IDs",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation =
                    ServerView.class)))
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response register(@NotNull io.quiclb.appliance.api.ServerRegistration request,
                             @QueryParam("dryRun") String dryRun, @Context ContainerRequestContext context,
                             @Context HttpServletRequest http) {
        ServerEntry entry = entry(request.name(), new ServerRequest(request.address(), null, request.threadSockets(),
                request.probe()));
        Change change = Changes.of(context, http, null, dryRun);
        ChangeResult result = control.registerServer(entry, change);
        if (change.dryRun()) {
            return Response.ok(changes.dryRun(result)).build();
        }
        return Response.status(result.applied() ? Response.Status.CREATED : Response.Status.OK)
                .entity(get(request.name())).build();
    }

    /**
     * Changes some fields of a server: a JSON Merge Patch (RFC 7396) of its PUT body. Fields left out keep their
     * values; {@code serverIds} merges by config ID ({@code {"serverIds": {"1": "0b01", "0": null}}} adds a server
     * ID in config 1 and removes the one in config 0); {@code threadSockets}, an array, is replaced whole.
     *
     * @param name    its name
     * @param patch   the fields to change
     * @param force   {@code true} to apply it even when it would make live CIDs unroutable
     * @param dryRun  {@code true} to answer what it would do and apply nothing
     * @param context the request, for the token's role
     * @param http    the request, for the client's address
     * @return the server as stored, or the dry run's answer
     */
    @ApiResponse(responseCode = "200", description = "the entity as stored; with ?dryRun=true the state the change"
            + " would make", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(oneOf = {ServerView.class, DryRunView.class})))
    @PATCH
    @Path("{name}")
    @Consumes({MergePatch.MEDIA_TYPE, MediaType.APPLICATION_JSON})
    public Object patch(@PathParam("name") String name,
                        @NotNull @RequestBody(description = "the fields to change, as in the PUT body (JSON Merge"
                                + " Patch, RFC 7396)", content = @Content(mediaType = MergePatch.MEDIA_TYPE,
                                schema = @Schema(implementation = ServerRequest.class))) MergePatch patch,
                        @QueryParam("force") String force, @QueryParam("dryRun") String dryRun,
                        @Context ContainerRequestContext context, @Context HttpServletRequest http) {
        Change change = Changes.of(context, http, force, dryRun);
        ChangeResult result = control.patchServer(name, current -> {
            ServerRequest now = new ServerRequest(current.address().toString(), current.serverIds(),
                    current.threadSockets().stream().map(HostPort::toString).toList(), current.probe().configName());
            return entry(name, json.convert((ObjectNode) patch.applyTo(json.toObject(now)), ServerRequest.class));
        }, change);
        return change.dryRun() ? changes.dryRun(result) : get(name);
    }

    private Object apply(String method, String name, ServerRequest request, Change change) {
        ChangeResult result = control.putServer(entry(name, request), method, change);
        return change.dryRun() ? changes.dryRun(result) : get(name);
    }

    /** @return the server a request describes; 422 listing every malformed field */
    private static ServerEntry entry(String name, ServerRequest request) {
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
        return new ServerEntry(name, address, request.serverIds(), sockets, probe);
    }

    /**
     * @param name    a server's name
     * @param force   {@code true} to delete it even when it still gets datagrams
     * @param dryRun  {@code true} to answer what it would do and apply nothing
     * @param context the request, for the token's role
     * @param http    the request, for the client's address
     * @return 204, or the dry run's answer
     */
    @ApiResponse(responseCode = "204", description = "deleted")
    @ApiResponse(responseCode = "200", description = "with ?dryRun=true: the state the change would make",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = DryRunView.class)))
    @DELETE
    @Path("{name}")
    public Response delete(@PathParam("name") String name, @QueryParam("force") String force,
                           @QueryParam("dryRun") String dryRun, @Context ContainerRequestContext context,
                           @Context HttpServletRequest http) {
        Change change = Changes.of(context, http, force, dryRun);
        ChangeResult result = control.deleteServer(name, change);
        return change.dryRun() ? Response.ok(changes.dryRun(result)).build() : Response.noContent().build();
    }

    /**
     * Stops new first flights to the server; datagrams whose CIDs name it still reach it.
     *
     * @param name    a server's name
     * @param dryRun  {@code true} to answer what it would do and apply nothing
     * @param context the request, for the token's role
     * @param http    the request, for the client's address
     * @return the server, or the dry run's answer
     */
    @ApiResponse(responseCode = "200", description = "the entity as stored; with ?dryRun=true the state the change"
            + " would make", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(oneOf = {ServerView.class, DryRunView.class})))
    @POST
    @Path("{name}/drain")
    public Object drain(@PathParam("name") String name, @QueryParam("dryRun") String dryRun,
                        @Context ContainerRequestContext context, @Context HttpServletRequest http) {
        return draining(name, true, Changes.of(context, http, null, dryRun));
    }

    /**
     * Lets the server take new first flights again.
     *
     * @param name    a server's name
     * @param dryRun  {@code true} to answer what it would do and apply nothing
     * @param context the request, for the token's role
     * @param http    the request, for the client's address
     * @return the server, or the dry run's answer
     */
    @ApiResponse(responseCode = "200", description = "the entity as stored; with ?dryRun=true the state the change"
            + " would make", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(oneOf = {ServerView.class, DryRunView.class})))
    @POST
    @Path("{name}/undrain")
    public Object undrain(@PathParam("name") String name, @QueryParam("dryRun") String dryRun,
                          @Context ContainerRequestContext context, @Context HttpServletRequest http) {
        return draining(name, false, Changes.of(context, http, null, dryRun));
    }

    private Object draining(String name, boolean draining, Change change) {
        ChangeResult result = control.setDraining(name, draining, change);
        return change.dryRun() ? changes.dryRun(result) : get(name);
    }

    /**
     * What the server must configure to issue CIDs, one entry per configuration it has a server ID in. The key is
     * included only for the admin token. In a fleet ({@code store.type: etcd}) only the configs and server IDs every
     * live appliance has applied (draft-21 §3.1); 503 when that cannot be known.
     *
     * @param name    a server's name
     * @param request the request, which says whether the admin token was presented
     * @return the encoder parameters
     */
    @GET
    @Path("{name}/encoder")
    public List<EncoderView> encoder(@PathParam("name") String name, @Context ContainerRequestContext request) {
        find(control.state(), name); // 404 for a server that does not exist now
        RoutingState state;
        try {
            state = encoders.offered();
        } catch (java.io.IOException e) {
            throw new ApiException(ApiException.UNAVAILABLE, List.of("which configs every appliance of the fleet"
                    + " applied cannot be known now (" + e.getMessage() + "); keep the ones in use"));
        }
        ServerEntry server = state.servers().stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
        if (server == null) {
            return List.of(); // added after the revision every appliance applied
        }
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
