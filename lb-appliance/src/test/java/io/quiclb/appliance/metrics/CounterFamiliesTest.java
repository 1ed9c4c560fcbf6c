package io.quiclb.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.forward.ForwarderCounter;
import io.quiclb.appliance.forward.ForwarderCounter.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How {@link ForwarderCounter}s become counter families, for the enum as it is and for counters added later. */
class CounterFamiliesTest {
    @Test
    void shouldExportEveryCounterOnceInTheFamilyOfItsKind() {
        CounterFamilies families = CounterFamilies.of(ForwarderCounter.values(), ForwarderCollector.OWN);
        Map<ForwarderCounter, String> familyOf = new HashMap<>();
        Set<String> names = new HashSet<>();
        for (CounterFamilies.Family family : families.families()) {
            assertTrue(names.add(family.name()), family.name());
            assertFalse(family.name().endsWith("_total"), family.name());
            assertTrue(family.name().matches("quiclb_forwarder_[a-z0-9_]+"), family.name());
            for (CounterFamilies.Member member : family.members()) {
                assertNull(familyOf.put(member.counter(), family.name()), member.name());
            }
        }
        assertEquals(Set.of(ForwarderCounter.values()), familyOf.keySet());
        for (ForwarderCounter counter : ForwarderCounter.values()) {
            String expected = switch (counter.kind()) {
                case ROUTED -> "quiclb_forwarder_routed";
                case DROPPED -> "quiclb_forwarder_dropped";
                case AFTER_ROUTING -> "quiclb_forwarder_lost";
                case EVENT -> "quiclb_forwarder_" + counter.metricName().replaceFirst("\\..*", "").replace('-', '_');
            };
            assertEquals(expected, familyOf.get(counter), counter.name());
        }
        assertEquals(Map.of("cid", ForwarderCounter.ROUTED_BY_CID, "thread", ForwarderCounter.ROUTED_TO_THREAD,
                "table", ForwarderCounter.ROUTED_BY_TABLE, "fallback", ForwarderCounter.ROUTED_BY_FALLBACK),
                labelValues(families, "quiclb_forwarder_routed", "via"));
        assertEquals(ForwarderCounter.DROPPED_TOO_SHORT,
                labelValues(families, "quiclb_forwarder_dropped", "reason").get("too-short"));
        assertEquals(ForwarderCounter.UNROUTABLE_SHORT_CONFIG_ID_7,
                labelValues(families, "quiclb_forwarder_unroutable_short", "reason").get("config-id-7"));
        assertEquals(ForwarderCounter.FLOW_OPEN_FAILED_PORTS,
                labelValues(families, "quiclb_forwarder_flow_open_failed", "reason").get("ports"));
        assertEquals(ForwarderCounter.DROPPED_SEND_FAILED,
                labelValues(families, "quiclb_forwarder_lost", "reason").get("send-failed"));
        assertEquals(ForwarderCounter.RECEIVE_ERRORS,
                labelValues(families, "quiclb_forwarder_lost", "reason").get("receive-errors"));
    }

    @Test
    void shouldExportACounterAddedLaterWithoutAChange() {
        List<CounterFamilies.Named> counters = named();
        counters.add(new CounterFamilies.Named(null, "dropped.gremlins", Kind.DROPPED));
        counters.add(new CounterFamilies.Named(null, "routed-by-magic", Kind.ROUTED));
        counters.add(new CounterFamilies.Named(null, "flow-open-failed.quota", Kind.EVENT));
        counters.add(new CounterFamilies.Named(null, "loops-seen", Kind.EVENT));
        CounterFamilies families = CounterFamilies.of(counters, ForwarderCollector.OWN);
        assertTrue(labelNames(families, "quiclb_forwarder_dropped", "reason").contains("gremlins"));
        assertTrue(labelNames(families, "quiclb_forwarder_routed", "via").contains("magic"));
        assertTrue(labelNames(families, "quiclb_forwarder_flow_open_failed", "reason").contains("quota"));
        assertEquals(1, families.families().stream().filter(f -> f.name().equals("quiclb_forwarder_loops_seen"))
                .count());
    }

    @Test
    void shouldRefuseCountersThatWouldCollide() {
        List<List<CounterFamilies.Named>> collisions = List.of(
                // The same series twice: routed-by-x and routed-to-x are both via="x".
                List.of(new CounterFamilies.Named(null, "routed-by-x", Kind.ROUTED),
                        new CounterFamilies.Named(null, "routed-to-x", Kind.ROUTED)),
                // One family with and without a reason label.
                List.of(new CounterFamilies.Named(null, "flows-opened", Kind.EVENT),
                        new CounterFamilies.Named(null, "flows-opened.again", Kind.EVENT)),
                // '-' and '_' make the same family name.
                List.of(new CounterFamilies.Named(null, "a-b", Kind.EVENT),
                        new CounterFamilies.Named(null, "a_b", Kind.EVENT)),
                // A gauge's name.
                List.of(new CounterFamilies.Named(null, "capacity", Kind.EVENT)),
                List.of(new CounterFamilies.Named(null, "upstream-sockets", Kind.EVENT)));
        for (List<CounterFamilies.Named> counters : collisions) {
            assertThrows(IllegalStateException.class,
                    () -> CounterFamilies.of(counters, ForwarderCollector.OWN), counters.toString());
        }
    }

    private static List<CounterFamilies.Named> named() {
        List<CounterFamilies.Named> named = new ArrayList<>();
        for (ForwarderCounter counter : ForwarderCounter.values()) {
            named.add(new CounterFamilies.Named(counter, counter.metricName(), counter.kind()));
        }
        return named;
    }

    private static Map<String, ForwarderCounter> labelValues(CounterFamilies families, String family, String label) {
        Map<String, ForwarderCounter> values = new HashMap<>();
        for (CounterFamilies.Family f : families.families()) {
            if (f.name().equals(family)) {
                for (CounterFamilies.Member member : f.members()) {
                    assertEquals(label, member.labelName(), member.name());
                    values.put(member.labelValue(), member.counter());
                }
            }
        }
        return values;
    }

    private static Set<String> labelNames(CounterFamilies families, String family, String label) {
        Set<String> values = new HashSet<>();
        for (CounterFamilies.Family f : families.families()) {
            if (f.name().equals(family)) {
                f.members().forEach(m -> {
                    assertEquals(label, m.labelName(), m.name());
                    values.add(m.labelValue());
                });
            }
        }
        return values;
    }
}
