package io.quiclb.appliance.resources;

import io.quiclb.appliance.api.FleetView;
import io.quiclb.appliance.control.ApiException;
import io.quiclb.appliance.store.EtcdStateStore;
import io.quiclb.appliance.store.FleetMembership;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.util.List;

/**
 * {@code GET /api/v1/fleet}: the live appliances of the fleet ({@code store.type: etcd}) and the revision each
 * applied; one that has not applied the store's latest is lagging. 404 with the state file (no fleet), 503 when etcd
 * cannot be read.
 *
 * <p><b>Thread safety:</b> stateless; reads etcd per request.
 */
@Path("/api/v1/fleet")
@Produces(MediaType.APPLICATION_JSON)
public final class FleetResource {
    private final EtcdStateStore store;
    private final FleetMembership membership;

    /**
     * @param store      the fleet store, or null with the state file
     * @param membership the fleet's live appliances, or null with the state file
     */
    public FleetResource(EtcdStateStore store, FleetMembership membership) {
        this.store = store;
        this.membership = membership;
    }

    /** @return the fleet */
    @GET
    public FleetView fleet() {
        if (store == null) {
            throw new ApiException(ApiException.NOT_FOUND, List.of("store.type is file: this appliance is not part"
                    + " of a fleet"));
        }
        try {
            long revision = store.load().map(EtcdStateStore.Stored::revision).orElse(0L);
            return new FleetView(revision, membership.members().stream().map(m -> new FleetView.Appliance(m.id(),
                    m.version(), m.listeners(), m.appliedRevision(), m.appliedRevision() < revision)).toList());
        } catch (IOException | IllegalStateException e) {
            throw new ApiException(ApiException.UNAVAILABLE, List.of(e.getMessage()));
        }
    }
}
