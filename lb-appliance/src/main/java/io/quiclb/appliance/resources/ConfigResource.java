package io.quiclb.appliance.resources;

import io.quiclb.appliance.api.ConfigRequest;
import io.quiclb.appliance.api.ConfigView;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.control.ApiException;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.codec.QuicLbConfig;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quiclb.appliance.control.Change;
import io.quiclb.appliance.control.ChangeResult;
import io.quiclb.appliance.input.MergePatch;
import io.quiclb.appliance.input.StrictJson;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.codec.Hex;
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
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;

/**
 * {@code /api/v1/configs}: the QUIC-LB configurations. Keys are write-only. Every change takes {@code ?dryRun=true}
 * and, when it would make live CIDs unroutable, needs {@code ?force=true} ({@link io.quiclb.appliance.control.ChangeGuard}).
 *
 * <p><b>Thread safety:</b> stateless; the control plane serializes changes.
 */
@Path("/api/v1/configs")
@Produces(MediaType.APPLICATION_JSON)
public final class ConfigResource {
    private final ControlPlane control;
    private final Changes changes;
    private final StrictJson json;

    /**
     * @param control the control plane
     * @param routing the routing service, for dry runs' server views
     * @param json    reads merged patches strictly
     */
    public ConfigResource(ControlPlane control, RoutingService routing, StrictJson json) {
        this.control = control;
        this.changes = new Changes(control, routing);
        this.json = json;
    }

    /** @return every configuration */
    @GET
    public List<ConfigView> list() {
        return control.state().configs().stream().map(ConfigView::of).toList();
    }

    /**
     * @param configId 0..6
     * @return the configuration
     */
    @GET
    @Path("{configId}")
    public ConfigView get(@PathParam("configId") String configId) {
        return ConfigView.of(find(parseConfigId(configId)));
    }

    /**
     * Adds or replaces a configuration.
     *
     * @param configId 0..6
     * @param request  its parameters
     * @param force    {@code true} to apply it even when it would make live CIDs unroutable
     * @param dryRun   {@code true} to answer what it would do and apply nothing
     * @param context  the request, for the token's role
     * @param http     the request, for the client's address
     * @return the configuration as stored, or the dry run's answer
     */
    @ApiResponse(responseCode = "200", description = "the entity as stored; with ?dryRun=true the state the change"
            + " would make", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(oneOf = {ConfigView.class, DryRunView.class})))
    @PUT
    @Path("{configId}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Object put(@PathParam("configId") String configId, @NotNull ConfigRequest request,
                      @QueryParam("force") String force, @QueryParam("dryRun") String dryRun,
                      @Context ContainerRequestContext context, @Context HttpServletRequest http) {
        return apply("PUT", parseConfigId(configId), request, Changes.of(context, http, force, dryRun));
    }

    /**
     * Changes some fields of a configuration: a JSON Merge Patch (RFC 7396) of its PUT body. Fields left out keep
     * their values, including the key; {@code "key": null} removes the key.
     *
     * @param configId 0..6
     * @param patch    the fields to change
     * @param force    {@code true} to apply it even when it would make live CIDs unroutable
     * @param dryRun   {@code true} to answer what it would do and apply nothing
     * @param context  the request, for the token's role
     * @param http     the request, for the client's address
     * @return the configuration as stored, or the dry run's answer
     */
    @ApiResponse(responseCode = "200", description = "the entity as stored; with ?dryRun=true the state the change"
            + " would make", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(oneOf = {ConfigView.class, DryRunView.class})))
    @PATCH
    @Path("{configId}")
    @Consumes({MergePatch.MEDIA_TYPE, MediaType.APPLICATION_JSON})
    public Object patch(@PathParam("configId") String configId,
                        @NotNull @RequestBody(description = "the fields to change, as in the PUT body (JSON Merge"
                                + " Patch, RFC 7396)", content = @Content(mediaType = MergePatch.MEDIA_TYPE,
                                schema = @Schema(implementation = ConfigRequest.class))) MergePatch patch,
                        @QueryParam("force") String force, @QueryParam("dryRun") String dryRun,
                        @Context ContainerRequestContext context, @Context HttpServletRequest http) {
        int id = parseConfigId(configId);
        Change change = Changes.of(context, http, force, dryRun);
        LbConfigEntry[] stored = new LbConfigEntry[1];
        ChangeResult result = control.patchConfig(id, current -> {
            ConfigRequest now = new ConfigRequest(current.serverIdLength(), current.nonceLength(),
                    current.threadIdLength(), current.lengthSelfEncoded(),
                    current.key() == null ? null : Hex.encode(current.key().toBytes()));
            stored[0] = entry(id, json.convert((ObjectNode) patch.applyTo(json.toObject(now)), ConfigRequest.class));
            return stored[0];
        }, change);
        return change.dryRun() ? changes.dryRun(result) : ConfigView.of(stored[0]);
    }

    private Object apply(String method, int id, ConfigRequest request, Change change) {
        LbConfigEntry entry = entry(id, request);
        ChangeResult result = control.putConfig(entry, method, change);
        return change.dryRun() ? changes.dryRun(result) : ConfigView.of(entry);
    }

    /** @return the configuration a request describes; 422 when its key is malformed */
    private static LbConfigEntry entry(int id, ConfigRequest request) {
        AesKeyHex key;
        try {
            key = request.key() == null ? null : AesKeyHex.parse(request.key());
        } catch (IllegalArgumentException e) {
            throw new ApiException(ApiException.UNPROCESSABLE, List.of("key: " + e.getMessage()));
        }
        return new LbConfigEntry(id, request.serverIdLength(), request.nonceLength(), request.threadIdLength(), key,
                request.lengthSelfEncoded());
    }

    /**
     * Deletes a configuration and the server IDs servers hold in it.
     *
     * @param configId 0..6
     * @param force    {@code true} to delete it even when live CIDs use it
     * @param dryRun   {@code true} to answer what it would do and apply nothing
     * @param context  the request, for the token's role
     * @param http     the request, for the client's address
     * @return 204, or the dry run's answer
     */
    @ApiResponse(responseCode = "204", description = "deleted")
    @ApiResponse(responseCode = "200", description = "with ?dryRun=true: the state the change would make",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = DryRunView.class)))
    @DELETE
    @Path("{configId}")
    public Response delete(@PathParam("configId") String configId, @QueryParam("force") String force,
                           @QueryParam("dryRun") String dryRun, @Context ContainerRequestContext context,
                           @Context HttpServletRequest http) {
        Change change = Changes.of(context, http, force, dryRun);
        ChangeResult result = control.deleteConfig(parseConfigId(configId), change);
        return change.dryRun() ? Response.ok(changes.dryRun(result)).build() : Response.noContent().build();
    }

    private LbConfigEntry find(int id) {
        return control.state().configs().stream().filter(c -> c.configId() == id).findFirst()
                .orElseThrow(() -> new ApiException(ApiException.NOT_FOUND, List.of("configId: no config " + id)));
    }

    static int parseConfigId(String text) {
        int id;
        try {
            id = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new ApiException(ApiException.UNPROCESSABLE, List.of("configId: must be an integer: " + text));
        }
        if (id < 0 || id > QuicLbConfig.MAX_CONFIG_ID) {
            throw new ApiException(ApiException.UNPROCESSABLE, List.of("configId: must be 0.."
                    + QuicLbConfig.MAX_CONFIG_ID + " (7 is the unroutable codepoint): configId=" + id));
        }
        return id;
    }
}
