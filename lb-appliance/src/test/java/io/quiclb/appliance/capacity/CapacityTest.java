package io.quiclb.appliance.capacity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The capacity formula (docs/operations.md, "Capacity planning") and what it reads from the machine. */
class CapacityTest {
    @Test
    void shouldBoundFlowsByDescriptorsWhenThereArePortsToSpare() {
        // 20,000 descriptors, 300 open, 2 workers x 1 listener, 6 probed targets, one source with 28,232 ports.
        Capacity capacity = Capacity.compute(20_000, 300, 2, 1, 0, 6, 6, 28_232, 1_000_000, null);
        long reserve = 300 + 2 * (1 + Capacity.PER_WORKER_RESERVE) + 6 + Capacity.HTTP_RESERVE;
        assertEquals(reserve, capacity.reserve());
        assertEquals(20_000 - reserve, capacity.socketBudget());
        assertEquals(capacity.socketBudget(), capacity.perTarget());
        assertEquals(6 * capacity.perTarget(), capacity.flows());
        assertEquals(capacity.flows(), capacity.effectiveMaxFlows());
        assertTrue(capacity.clamped());
        assertEquals(capacity.effectiveMaxFlows() / 4, capacity.maxHandshakes());
        assertTrue(capacity.describe().contains("raise the descriptor limit"), capacity.describe());
    }

    @Test
    void shouldBoundFlowsByPortsWhenDescriptorsArePlentiful() {
        Capacity oneSource = Capacity.compute(1_048_576, 300, 2, 1, 0, 3, 3, 28_232, 1_000_000, 10_000L);
        assertEquals(28_232, oneSource.perTarget());
        assertEquals(3 * 28_232, oneSource.flows());
        assertTrue(oneSource.describe().contains("add source addresses"), oneSource.describe());
        assertEquals(10_000, oneSource.maxHandshakes());
        Capacity fourSources = Capacity.compute(1_048_576, 300, 2, 1, 4, 3, 3, 28_232, 100_000, null);
        assertEquals(4 * 28_232, fourSources.perTarget());
        assertFalse(fourSources.clamped());
        assertEquals(100_000, fourSources.effectiveMaxFlows());
        assertEquals(25_000, fourSources.maxHandshakes());
    }

    @Test
    void shouldCountTheLocalPortRangeLessItsReservedPorts() {
        assertEquals(28_232, Capacity.portsIn(32_768, 60_999, ""));
        assertEquals(28_232 - 1 - 11, Capacity.portsIn(32_768, 60_999, "40000,50000-50010"));
        assertEquals(28_232, Capacity.portsIn(32_768, 60_999, "8080,9000-9010"), "reserved ports outside the range");
        // What this machine's kernel says: at least one port, no more than 64,512 (1024..65535).
        long ports = Capacity.localPorts();
        assertTrue(ports > 0 && ports <= 64_512, "local ports " + ports);
    }

    @Test
    void shouldCountOnlySourcesOfATargetsAddressFamily() {
        List<InetAddress> twoV4OneV6 = List.of(InetAddress.ofLiteral("10.0.0.1"), InetAddress.ofLiteral("10.0.0.2"),
                InetAddress.ofLiteral("fd00::1"));
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.ofLiteral("10.1.0.1"), 443);
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.ofLiteral("fd01::1"), 443);
        assertEquals(2, Capacity.sourcesPerTarget(twoV4OneV6, List.of(v4)));
        assertEquals(1, Capacity.sourcesPerTarget(twoV4OneV6, List.of(v6)));
        assertEquals(1, Capacity.sourcesPerTarget(twoV4OneV6, List.of(v4, v6)), "the poorer family bounds both");
        // A family without configured sources binds its wildcard: one source's ports.
        assertEquals(1, Capacity.sourcesPerTarget(List.of(InetAddress.ofLiteral("fd00::1"),
                InetAddress.ofLiteral("fd00::2")), List.of(v4)));
        assertEquals(1, Capacity.sourcesPerTarget(List.of(), List.of(v4, v6)));
    }
}
