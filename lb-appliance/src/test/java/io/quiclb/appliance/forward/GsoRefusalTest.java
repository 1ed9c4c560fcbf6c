package io.quiclb.appliance.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.ChildProcess;
import io.quiclb.appliance.Prerequisites;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import io.quiclb.appliance.config.TransportKind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A kernel refusal of a batched send, in a network namespace the test makes (`unshare -rn`, as root in CI) with a
 * 1280-octet MTU on its loopback: every datagram of a refused GSO send arrives, sent again one by one, and the
 * refusal is counted and said once ({@link GsoRefusalScenario}).
 */
class GsoRefusalTest {
    static java.util.stream.Stream<TransportKind> gsoTransports() {
        return Transport.available().stream().filter(kind -> Transport.select(kind).supportsGso());
    }

    @ParameterizedTest
    @MethodSource("gsoTransports")
    void shouldDeliverEveryDatagramOfTheBatchesAPathWithASmallerMtuRefused(TransportKind transport) throws Exception {
        Prerequisites.require(ChildProcess.canUnshareNetwork(),
                "`unshare -rn` cannot make a network namespace here: it needs root or unprivileged user namespaces,"
                        + " and iproute2");
        List<String> command = new java.util.ArrayList<>(List.of("unshare", "-rn", "sh", "-c",
                "ip link set lo up && ip link set lo mtu 1280 && exec \"$@\"", "sh"));
        command.addAll(ChildProcess.javaCommand(List.of(), GsoRefusalScenario.class, transport.configName()));
        try (ChildProcess scenario = ChildProcess.start(command)) {
            assertEquals(0, scenario.waitFor(120, TimeUnit.SECONDS), String.join("\n", scenario.lines()));
            String result = scenario.lines().stream().filter(line -> line.startsWith("result ")).findFirst()
                    .orElseThrow(() -> new AssertionError(String.join("\n", scenario.lines())));
            Map<String, Long> values = new HashMap<>();
            for (String pair : result.substring("result ".length()).split(" ")) {
                String[] parts = pair.split("=");
                values.put(parts[0], Long.parseLong(parts[1]));
            }
            assertEquals(GsoRefusalScenario.BURSTS * GsoRefusalScenario.BURST, values.get("delivered"), result);
            assertTrue(values.get("gsoRefused") > 0, "the kernel refused no GSO send: " + result);
            assertEquals(values.get("gsoSends"), values.get("gsoRefused"), "every GSO send was refused: " + result);
            assertEquals(0, values.get("sendFailed"), result);
            assertEquals(1, values.get("warnings"), "said once: " + result);
        }
    }
}
