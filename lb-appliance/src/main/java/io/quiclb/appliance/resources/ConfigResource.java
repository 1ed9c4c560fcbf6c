package io.quiclb.appliance.resources;

import io.quiclb.appliance.api.ConfigRequest;
import io.quiclb.appliance.api.ConfigView;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.control.ApiException;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.codec.QuicLbConfig;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;

/**
 * {@code /api/v1/configs}: the QUIC-LB configurations. Keys are write-only.
 *
 * <p><b>Thread safety:</b> stateless; the control plane serializes changes.
 */
@Path("/api/v1/configs")
@Produces(MediaType.APPLICATION_JSON)
public final class ConfigResource {
    private final ControlPlane control;

    /**
     * @param control the control plane
     */
    public ConfigResource(ControlPlane control) {
        this.control = control;
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
        int id = parseConfigId(configId);
        return control.state().configs().stream().filter(c -> c.configId() == id).findFirst().map(ConfigView::of)
                .orElseThrow(() -> new ApiException(ApiException.NOT_FOUND, List.of("configId: no config " + id)));
    }

    /**
     * Adds or replaces a configuration.
     *
     * @param configId 0..6
     * @param request  its parameters
     * @return the configuration as stored
     */
    @PUT
    @Path("{configId}")
    public ConfigView put(@PathParam("configId") String configId, @Valid @NotNull ConfigRequest request) {
        int id = parseConfigId(configId);
        AesKeyHex key;
        try {
            key = request.key() == null ? null : AesKeyHex.parse(request.key());
        } catch (IllegalArgumentException e) {
            throw new ApiException(ApiException.UNPROCESSABLE, List.of("key: " + e.getMessage()));
        }
        LbConfigEntry entry = new LbConfigEntry(id, request.serverIdLength(), request.nonceLength(),
                request.threadIdLength(), key, request.lengthSelfEncoded());
        control.putConfig(entry);
        return ConfigView.of(entry);
    }

    /**
     * Deletes a configuration and the server IDs servers hold in it.
     *
     * @param configId 0..6
     * @return 204
     */
    @DELETE
    @Path("{configId}")
    public Response delete(@PathParam("configId") String configId) {
        control.deleteConfig(parseConfigId(configId));
        return Response.noContent().build();
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
