package io.quiclb.appliance.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.route.RoutingService;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A deleted config ID is held back from reuse for {@code quicLb.configIdReuseGrace} (draft-21 §3.1: clients may still
 * hold CIDs of the old config, which a new config on the same ID would misroute), unless forced; the hold is part of
 * the stored state, so it survives a restart and is the same on every appliance of a fleet.
 */
class ConfigIdReuseTest {
    private static final LbConfigEntry CONFIG0 = new LbConfigEntry(0, 2, 6, 0,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);
    private static final LbConfigEntry CONFIG1 = new LbConfigEntry(1, 2, 6, 0,
            AesKeyHex.parse("fdf726a9893ec05c0632d3956680baf0"), true);
    private static final LbConfigEntry NEW_CONFIG1 = new LbConfigEntry(1, 3, 5, 0,
            AesKeyHex.parse("00112233445566778899aabbccddeeff"), true);
    private static final long GRACE = 10_000;

    private final AtomicLong now = new AtomicLong(1_000);
    private final RoutingState initial = new RoutingState(List.of(CONFIG0, CONFIG1), List.of(), Set.of());
    private final ControlPlane control = ControlPlane.of(new RoutingService(1, initial), new CountingBackend(), initial,
            () -> { });

    @Test
    void shouldHoldADeletedConfigIdBackForTheGraceTime() {
        control.holdDeletedConfigIds(GRACE, now::get);
        control.deleteConfig(1, new Change("admin", false, false));
        assertEquals(Map.of(1, 1_000L), control.state().retired());

        now.set(5_000);
        ApiException held = assertThrows(ApiException.class,
                () -> control.putConfig(NEW_CONFIG1, "PUT", new Change("admin", false, false)));
        assertEquals(ApiException.CONFLICT, held.status());
        assertEquals("configId: config ID 1 was deleted at 1970-01-01T00:00:01Z; clients may still hold its CIDs, so it"
                + " is held back until 1970-01-01T00:00:11Z (quicLb.configIdReuseGrace, draft-21 §3.1): use another"
                + " free config ID", held.errors().get(0));
        assertEquals(List.of(CONFIG0), control.state().configs(), "nothing changed");

        control.putConfig(NEW_CONFIG1, "PUT", new Change("admin", true, false));
        assertEquals(Map.of(), control.state().retired(), "forced: no longer held back");

        control.deleteConfig(1, new Change("admin", false, false));
        now.set(5_000 + GRACE);
        control.putConfig(CONFIG1, "PUT", new Change("admin", false, false));
        assertEquals(List.of(CONFIG0, CONFIG1), control.state().configs(), "usable again once the grace passed");
        assertEquals(Map.of(), control.state().retired());
    }

    @Test
    void shouldKeepTheHoldInTheStoredState() {
        RoutingState held = new RoutingState(List.of(CONFIG0), List.of(), Set.of(), Map.of(1, 1_000L));
        assertEquals(held, StateStore.fromJson(StateStore.toJson(held), "test"));
        String before = "{\"format\":1,\"configs\":[],\"servers\":[],\"draining\":[]}";
        assertTrue(StateStore.fromJson(before.getBytes(StandardCharsets.UTF_8), "a state file of an earlier version")
                .retired().isEmpty());
    }
}
