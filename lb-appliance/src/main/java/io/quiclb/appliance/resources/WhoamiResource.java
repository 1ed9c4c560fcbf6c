package io.quiclb.appliance.resources;

import io.quiclb.appliance.api.WhoamiView;
import io.quiclb.appliance.control.ApiException;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.appliance.route.ServerHandle;
import io.quiclb.codec.CidDecoder;
import io.quiclb.codec.FirstOctet;
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * {@code GET /api/v1/whoami/{cidHex}}: how the appliance would route a DCID right now, decoded with the route table
 * in force (draft-21 §5.5).
 *
 * <p><b>Thread safety:</b> builds its own decoder per request.
 */
@Path("/api/v1/whoami")
@Produces(MediaType.APPLICATION_JSON)
public final class WhoamiResource {
    private final RoutingService routing;

    /**
     * @param routing the routing service
     */
    public WhoamiResource(RoutingService routing) {
        this.routing = routing;
    }

    /**
     * @param cidHex the DCID in hex, 1..20 octets
     * @return the routing decision
     */
    @GET
    @Path("{cid}")
    public WhoamiView whoami(@PathParam("cid") String cidHex) {
        byte[] cid;
        try {
            cid = Hex.decode("cid", cidHex);
        } catch (IllegalArgumentException e) {
            throw new ApiException(ApiException.UNPROCESSABLE, List.of("cid: " + e.getMessage()));
        }
        if (cid.length < 1 || cid.length > 20) {
            throw new ApiException(ApiException.UNPROCESSABLE, List.of("cid: must be 1..20 octets: " + cid.length));
        }
        RouteTable table = routing.current();
        CidDecoder decoder = new CidDecoder();
        for (int id = 0; id <= QuicLbConfig.MAX_CONFIG_ID; id++) {
            if (table.config(id) != null) {
                decoder.setConfig(table.config(id));
            }
        }
        int configId = FirstOctet.configId(cid[0]);
        byte[] sid = new byte[QuicLbConfig.MAX_SERVER_ID_LENGTH];
        int result = decoder.decode(cid, 0, cid.length, sid, 0);
        String hex = Hex.encode(cid);
        if (result <= 0) {
            return new WhoamiView(hex, false, CidDecoder.resultName(result), configId, null, null, null, null);
        }
        int threadId = decoder.threadId();
        ServerHandle server = table.server(configId, sid, 0, result);
        Integer thread = threadId == CidDecoder.NO_THREAD_ID ? null : threadId;
        if (server == null) {
            return new WhoamiView(hex, false, "no-server-for-sid", configId, Hex.encode(sid, 0, result), thread, null,
                    null);
        }
        InetSocketAddress target = server.target(threadId);
        return new WhoamiView(hex, true, null, configId, Hex.encode(sid, 0, result), thread, server.name(),
                target.getHostString() + ":" + target.getPort());
    }
}
