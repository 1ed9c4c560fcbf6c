package io.quiclb.appliance.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.route.RoutingService;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The control plane on a store other appliances write too: a write that lost the race answers 409 and a store that
 * cannot be reached 503, both changing nothing; a newer revision written elsewhere is applied as one swap, an older
 * one or its own again is not.
 */
class SharedBackendTest {
    private static final LbConfigEntry CONFIG0 = new LbConfigEntry(0, 2, 6, 0,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);
    private static final LbConfigEntry CONFIG1 = new LbConfigEntry(1, 2, 6, 0,
            AesKeyHex.parse("fdf726a9893ec05c0632d3956680baf0"), true);
    private static final Change ADMIN = new Change("admin", false, false);

    private final RoutingState initial = new RoutingState(List.of(CONFIG0), List.of(), Set.of());
    private final RoutingService routing = new RoutingService(1, initial);
    private final AtomicInteger changes = new AtomicInteger();

    @Test
    void shouldChangeNothingWhenTheWriteLosesOrCannotBeMade() {
        ControlPlane control = ControlPlane.of(routing, new Backend(new StaleRevisionException(7, 9)), initial,
                changes::incrementAndGet);
        control.startAt(7);
        ApiException lost = assertThrows(ApiException.class, () -> control.putConfig(CONFIG1, "PUT", ADMIN));
        assertEquals(ApiException.CONFLICT, lost.status());
        assertTrue(lost.errors().get(0).contains("the stored state is at revision 9, not 7"), lost.errors().get(0));

        ControlPlane unreachable = ControlPlane.of(routing, new Backend(new IOException("etcd: write failed, nothing"
                + " written: UNAVAILABLE")), initial, changes::incrementAndGet);
        ApiException refused = assertThrows(ApiException.class, () -> unreachable.putConfig(CONFIG1, "PUT", ADMIN));
        assertEquals(ApiException.UNAVAILABLE, refused.status());
        assertEquals(List.of("etcd: write failed, nothing written: UNAVAILABLE"), refused.errors());

        assertEquals(initial, control.state());
        assertEquals(7, control.revision());
        assertEquals(1, routing.current().configCount(), "nothing published");
        assertEquals(0, changes.get());
    }

    @Test
    void shouldApplyOnlyNewerRevisionsWrittenElsewhere() {
        ControlPlane control = ControlPlane.of(routing, new Backend(null), initial, changes::incrementAndGet);
        control.startAt(5);
        RoutingState next = new RoutingState(List.of(CONFIG0, CONFIG1), List.of(), Set.of());
        assertFalse(control.applyStored(5, next), "the revision it holds");
        assertFalse(control.applyStored(4, next), "an older one");
        assertTrue(control.applyStored(8, next));
        assertEquals(next, control.state());
        assertEquals(8, control.revision());
        assertEquals(2, routing.current().configCount());
        assertEquals(1, changes.get());
    }

    /** A shared store whose every write fails with {@code failure}, or succeeds at {@code expected + 3}. */
    private record Backend(Exception failure) implements StateBackend {
        @Override
        public long write(long expected, RoutingState next) throws StaleRevisionException, IOException {
            if (failure instanceof StaleRevisionException stale) {
                throw stale;
            }
            if (failure instanceof IOException io) {
                throw io;
            }
            return expected + 3;
        }

        @Override
        public String describe() {
            return "a shared store";
        }
    }
}
