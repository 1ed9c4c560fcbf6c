package io.quiclb.appliance.forward;

import static io.quiclb.appliance.forward.ForwarderFixture.await;
import static io.quiclb.appliance.forward.ForwarderFixture.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.appliance.control.Change;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.control.RoutingState;
import io.quiclb.appliance.control.StateStore;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.ServerId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Changes applied through the control plane while real traffic flows through the forwarder: the config rotation
 * of draft-21 §3.1 and draining. Flows whose server remains must lose nothing and go nowhere else.
 */
class LiveChangeTest {
    private static final LbConfigEntry OLD = new LbConfigEntry(0, 2, 6, 0,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);
    private static final LbConfigEntry NEW = new LbConfigEntry(1, 3, 5, 0,
            AesKeyHex.parse("fdf726a9893ec05c0632d3956680baf0"), true);
    private static final Pattern TEXT = Pattern.compile("(a|b)-(\\d+)$");

    @TempDir
    Path directory;

    @Test
    void shouldRotateConfigsUnderTrafficWithoutLossOrMisroute() throws Exception {
        try (UdpBackend a = new UdpBackend("a"); UdpBackend b = new UdpBackend("b"); UdpBackend c = new UdpBackend("c");
             UdpBackend d = new UdpBackend("d");
             ForwarderFixture fixture = ForwarderFixture.start(TransportKind.EPOLL, List.of(OLD), List.of(
                     server("a", a, Map.of(0, "0a01")), server("b", b, Map.of(0, "0b02")),
                     server("c", c, Map.of(0, "0c03"))))) {
            RoutingState initial = new RoutingState(List.of(OLD), List.of(server("a", a, Map.of(0, "0a01")),
                    server("b", b, Map.of(0, "0b02")), server("c", c, Map.of(0, "0c03"))), Set.of());
            ControlPlane control = ControlPlane.of(fixture.routing, new StateStore(directory.resolve("state.json")),
                    initial, () -> { });
            CidEncoder oldA = new CidEncoder(OLD.toQuicLbConfig(), ServerId.fromHex("0a01"), 0);
            CidEncoder oldB = new CidEncoder(OLD.toQuicLbConfig(), ServerId.fromHex("0b02"), 0);
            CidEncoder newA = new CidEncoder(NEW.toQuicLbConfig(), ServerId.fromHex("0a0a01"), 0);
            CidEncoder newB = new CidEncoder(NEW.toQuicLbConfig(), ServerId.fromHex("0b0b02"), 0);
            UdpClient clientA = fixture.client();
            UdpClient clientB = fixture.client();
            AtomicInteger sent = new AtomicInteger();
            AtomicReference<Boolean> switched = new AtomicReference<>(false);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            int total = 8_000;
            Thread sender = new Thread(() -> {
                try {
                    for (int i = 0; i < total; i++) {
                        boolean useNew = switched.get();
                        clientA.send(QuicPackets.shortHeader((useNew ? newA : oldA).nextConnectionId(), "a-" + i));
                        clientB.send(QuicPackets.shortHeader((useNew ? newB : oldB).nextConnectionId(), "b-" + i));
                        sent.set(i + 1);
                        if (i % 20 == 19) {
                            Thread.sleep(1); // about 20k datagrams a second in all
                        }
                    }
                } catch (Exception e) {
                    failure.set(e);
                }
            }, "live-change-sender");
            sender.start();
            // 1. A new config in a free slot, and the servers' IDs in it; c leaves and d joins meanwhile.
            assertTrue(await(() -> sent.get() > 1_500));
            control.putConfig(NEW, "PUT", Change.INTERNAL);
            control.putServer(server("a", a, Map.of(0, "0a01", 1, "0a0a01")), "PUT", Change.INTERNAL);
            control.putServer(server("b", b, Map.of(0, "0b02", 1, "0b0b02")), "PUT", Change.INTERNAL);
            control.deleteServer("c", Change.INTERNAL);
            control.putServer(server("d", d, Map.of(0, "0d04", 1, "0d0d04")), "PUT", Change.INTERNAL);
            // 2. The servers switch: both slots decode while late old-config CIDs still arrive.
            assertTrue(await(() -> sent.get() > 3_500));
            switched.set(true);
            clientA.send(QuicPackets.shortHeader(oldA.nextConnectionId(), "a-late"));
            // 3. The old slot drains; 4. it is deleted.
            assertTrue(await(() -> sent.get() > 5_500));
            control.deleteConfig(0, Change.INTERNAL);
            sender.join(60_000);
            assertNull(failure.get());
            assertTrue(await(() -> a.count() == total + 1 && b.count() == total),
                    "a=" + a.count() + " b=" + b.count() + " of " + total + ": " + fixture.describe());
            assertEquals(everything("a", total), received(a, total + 1));
            assertEquals(everything("b", total), received(b, total));
            assertEquals(0, d.count());
            assertTrue(fixture.forwarder.routedByConfig(1) > 0 && fixture.forwarder.routedByConfig(0) > 0);
            assertEquals(0, fixture.unaccounted());
        }
    }

    @Test
    void shouldSendNoNewFirstFlightsToADrainingServerWhileItsConnectionsContinue() throws Exception {
        try (UdpBackend a = new UdpBackend("a"); UdpBackend b = new UdpBackend("b");
             ForwarderFixture fixture = ForwarderFixture.start(TransportKind.EPOLL, List.of(OLD), List.of(
                     server("a", a, Map.of(0, "0a01")), server("b", b, Map.of(0, "0b02"))))) {
            List<ServerEntry> servers = List.of(server("a", a, Map.of(0, "0a01")), server("b", b, Map.of(0, "0b02")));
            ControlPlane control = ControlPlane.of(fixture.routing, new StateStore(directory.resolve("state.json")),
                    new RoutingState(List.of(OLD), servers, Set.of()), () -> { });
            control.setDraining("a", true, Change.INTERNAL);
            CidEncoder toA = new CidEncoder(OLD.toQuicLbConfig(), ServerId.fromHex("0a01"), 0);
            UdpClient existing = fixture.client();
            for (int i = 0; i < 50; i++) {
                existing.send(QuicPackets.shortHeader(toA.nextConnectionId(), "a-" + i));
                UdpClient newcomer = fixture.client();
                newcomer.send(QuicPackets.longHeader(new byte[] {(byte) 0xe7, 1, 2, 3, 4, 5, 6, (byte) i},
                        new byte[] {(byte) i}, "b-" + i));
            }
            assertTrue(await(() -> a.count() == 50 && b.count() == 50), "a=" + a.count() + " b=" + b.count());
            assertEquals(everything("a", 50), received(a, 50));
            assertEquals(everything("b", 50), received(b, 50));
            assertEquals(50, fixture.forwarder.total(ForwarderCounter.ROUTED_BY_FALLBACK));
        }
    }

    private static Set<String> everything(String prefix, int count) {
        Set<String> texts = new HashSet<>();
        for (int i = 0; i < count; i++) {
            texts.add(prefix + "-" + i);
        }
        return texts;
    }

    /** The numbered texts a backend received; every datagram must carry one of its own server's. */
    private static Set<String> received(UdpBackend backend, int count) throws InterruptedException {
        Set<String> texts = new HashSet<>();
        for (int i = 0; i < count; i++) {
            UdpBackend.Received datagram = backend.poll(1_000);
            if (datagram == null) {
                break;
            }
            String text = new String(datagram.payload(), StandardCharsets.ISO_8859_1);
            if (text.endsWith("a-late")) {
                continue;
            }
            Matcher matcher = TEXT.matcher(text);
            assertTrue(matcher.find(), text);
            assertEquals(backend.name, matcher.group(1), "misrouted: " + matcher.group());
            texts.add(matcher.group());
        }
        return texts;
    }
}
