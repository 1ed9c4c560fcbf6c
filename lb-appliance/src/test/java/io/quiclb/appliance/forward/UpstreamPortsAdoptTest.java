package io.quiclb.appliance.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Upstream sockets handed over in a takeover: adopted at the places they had, each place given to one flow per
 * target, the free places cooling for every target (the old appliance may have freed them moments ago), and the
 * listener sockets going to the worker that read them before.
 */
class UpstreamPortsAdoptTest {
    private static final InetSocketAddress T = new InetSocketAddress("127.0.0.1", 7001);
    private static final InetSocketAddress U = new InetSocketAddress("127.0.0.1", 7002);

    private final List<Channel> opened = new ArrayList<>();
    private final SocketBudget budget = new SocketBudget(10);
    private final UpstreamPorts ports = new UpstreamPorts(new PortOpener() {
        @Override
        public Channel open(UpstreamPort port, InetSocketAddress bindAddress) {
            return channel();
        }

        @Override
        public Channel adopt(UpstreamPort port, int fd) {
            return channel();
        }
    }, budget, List.of());

    private Channel channel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        opened.add(channel);
        return channel;
    }

    @AfterEach
    void close() {
        ports.closeAll();
        opened.forEach(Channel::close);
    }

    @Test
    void shouldAdoptAtTheSamePlacesAndCoolTheFreeOnes() throws Exception {
        UpstreamPort first = ports.adopt(0, 100);
        UpstreamPort second = ports.adopt(2, 101);
        assertEquals(0, first.familyIndex);
        assertEquals(1, second.familyIndex);
        assertSame(second, ports.port(2));
        assertNull(ports.port(4));
        assertEquals(2, budget.open(), "each adopted socket takes a unit of the socket budget");

        assertTrue(ports.take(first, T), "a flow handed over takes its place");
        assertFalse(ports.take(first, T), "not a second flow to the same target at the same place");
        assertEquals(1, first.flows);

        ports.coolAdopted(List.of(T, U));
        // T: place 0 is taken and place 1 cools; U: both cool. A new flow gets a new socket while a place cools, and
        // the new socket carries a flow to each target.
        UpstreamPort forT = ports.acquire(T, 0);
        UpstreamPort forU = ports.acquire(U, 0);
        assertEquals(2, forT.familyIndex);
        assertSame(forT, forU);
        assertEquals(3, budget.open());

        ports.rotateCooling();
        ports.rotateCooling();
        assertEquals(0, ports.acquire(U, 0).familyIndex, "after two periods the places are free again");
    }

    @Test
    void shouldGiveEachWorkerTheListenerSocketItReadBefore() {
        InetSocketAddress listener = new InetSocketAddress("127.0.0.1", 4433);
        InheritedSockets inherited = new InheritedSockets(List.of(new InheritedSockets.Inherited(listener, 1, 11),
                new InheritedSockets.Inherited(listener, 0, 10), new InheritedSockets.Inherited(listener, -1, 12)));
        assertEquals(10, inherited.take(listener, 0));
        assertEquals(11, inherited.take(listener, 1));
        assertEquals(12, inherited.take(listener, 2), "a worker the old appliance did not have takes what is left");
        assertNull(inherited.take(listener, 3));
        assertEquals(0, inherited.remaining());
    }
}
