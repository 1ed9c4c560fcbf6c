package io.quiclb.appliance.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.route.RoutingService;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A server that registers gets, in every config, a server ID no server has in a config of that length (so a
 * plaintext config's server ID is never an encrypted config's, draft-21 §9.7); registering again gets it server IDs
 * in configs added since, and changes nothing otherwise.
 */
class ServerRegistrationTest {
    private static final LbConfigEntry PLAINTEXT = new LbConfigEntry(0, 2, 6, 0, null, true);
    private static final LbConfigEntry ENCRYPTED = new LbConfigEntry(1, 2, 6, 0,
            AesKeyHex.parse("fdf726a9893ec05c0632d3956680baf0"), true);
    private static final LbConfigEntry LONGER = new LbConfigEntry(2, 3, 6, 0,
            AesKeyHex.parse("00112233445566778899aabbccddeeff"), true);
    private static final Change ADMIN = new Change("admin", false, false);

    private final RoutingState initial = new RoutingState(List.of(PLAINTEXT, ENCRYPTED), List.of(new ServerEntry("s1",
            HostPort.parse("127.0.0.1:5001"), Map.of(0, "0001", 1, "0002"), List.of())), Set.of());
    private final ControlPlane control = ControlPlane.of(new RoutingService(1, initial), new CountingBackend(), initial,
            () -> { });

    @Test
    void shouldGiveServerIdsUnusedInEveryConfigOfTheSameLength() {
        assertTrue(control.registerServer(server("r1", 6001), ADMIN).applied());
        assertEquals(Map.of(0, "0003", 1, "0004"), ids("r1"), "neither 0001 nor 0002, nor the same in both");

        assertFalse(control.registerServer(server("r1", 6001), ADMIN).applied(), "registered already");
        control.putConfig(LONGER, "PUT", ADMIN);
        assertTrue(control.registerServer(server("r1", 6001), ADMIN).applied());
        assertEquals(Map.of(0, "0003", 1, "0004", 2, "000001"), ids("r1"), "a server ID in the config added since");

        ApiException taken = assertThrows(ApiException.class, () -> control.registerServer(server("r1", 6002), ADMIN));
        assertEquals(ApiException.CONFLICT, taken.status());
        assertEquals("name: server r1 is registered with address 127.0.0.1:6001: pick another name, or PUT the server"
                + " to change it", taken.errors().get(0));
    }

    private static ServerEntry server(String name, int port) {
        return new ServerEntry(name, HostPort.parse("127.0.0.1:" + port), Map.of(), List.of());
    }

    private Map<Integer, String> ids(String name) {
        return control.state().servers().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow()
                .serverIds();
    }
}
