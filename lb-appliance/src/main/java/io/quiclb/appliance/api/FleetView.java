package io.quiclb.appliance.api;

import java.util.List;

/**
 * {@code GET /api/v1/fleet}: the live appliances sharing this appliance's fleet store.
 *
 * @param revision   the revision of the routing state in the store now
 * @param appliances the live appliances, each with the revision it applied
 */
public record FleetView(long revision, List<Appliance> appliances) {
    /**
     * One live appliance.
     *
     * @param id              its {@code store.applianceId}
     * @param version         its software version
     * @param listeners       its listeners as bound
     * @param appliedRevision the revision of the routing state it applied
     * @param lagging         whether it has not applied {@code revision} yet
     */
    public record Appliance(String id, String version, List<String> listeners, long appliedRevision,
                            boolean lagging) {
    }
}
