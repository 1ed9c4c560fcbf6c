package io.quiclb.appliance.takeover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.quiclb.appliance.forward.NatFlows;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The NAT flows as lines of the handover conversation: what the old appliance writes, the new one reads back. */
class FlowLinesTest {
    private static final NatFlows FLOWS = new NatFlows(List.of(
            new NatFlows.WorkerFlows(List.of(new NatFlows.UpstreamSocket(0, new InetSocketAddress("0.0.0.0", 40001),
                    17)), List.of(new NatFlows.FlowEntry(new InetSocketAddress("192.0.2.7", 5555),
                    new InetSocketAddress("127.0.0.1", 4433), "s1", new InetSocketAddress("127.0.0.1", 8443), 0, 2,
                    false, 120, 30))),
            new NatFlows.WorkerFlows(List.of(new NatFlows.UpstreamSocket(1, new InetSocketAddress("::", 40002), 18)),
                    List.of(new NatFlows.FlowEntry(new InetSocketAddress("2001:db8::1", 6666),
                            new InetSocketAddress("::1", 4433), "server with spaces",
                            new InetSocketAddress("::1", 9443), 1, 0, true, 5, 5)))));

    @Test
    void shouldReadBackWhatItWrites() {
        List<String> flowLines = List.of(FlowLines.flow(0, FLOWS.workers().get(0).flows().get(0)),
                FlowLines.flow(1, FLOWS.workers().get(1).flows().get(0)));
        assertEquals("F 1 1 0 1 5 5 [2001:db8:0:0:0:0:0:1]:6666 [0:0:0:0:0:0:0:1]:4433 [0:0:0:0:0:0:0:1]:9443"
                + " server with spaces", flowLines.get(1));
        NatFlows read = FlowLines.parse(2, FlowLines.sockets(FLOWS), FlowLines.descriptors(FLOWS), flowLines);
        assertEquals(FLOWS, read);
    }

    @Test
    void shouldNameTheLineItCannotRead() {
        List<String> sockets = FlowLines.sockets(FLOWS);
        List<Integer> fds = FlowLines.descriptors(FLOWS);
        assertEquals("worker 1 of 1: U 1 1 [0:0:0:0:0:0:0:0]:40002", assertThrows(IllegalArgumentException.class,
                () -> FlowLines.parse(1, sockets, fds, List.of())).getMessage());
        assertEquals("10 fields expected: F 0 0 2 0 120 30 192.0.2.7:5555", assertThrows(
                IllegalArgumentException.class, () -> FlowLines.parse(2, sockets, fds,
                        List.of("F 0 0 2 0 120 30 192.0.2.7:5555"))).getMessage());
        assertEquals("not a F line: U 0 0 0.0.0.0:1", assertThrows(IllegalArgumentException.class,
                () -> FlowLines.parse(2, sockets, fds, List.of("U 0 0 0.0.0.0:1"))).getMessage());
    }
}
