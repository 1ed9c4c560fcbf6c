package io.quiclb.appliance.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The handshake budget: the bound in all, the share of a source prefix (IPv4 /24, IPv6 /64), and what they say. */
class HandshakeBudgetTest {
    private final byte[] scratch = new byte[16];

    @Test
    void shouldSayWhetherTheBudgetOrThePrefixShareIsSpent() {
        HandshakeBudget budget = new HandshakeBudget(3, 2);
        assertEquals(HandshakeBudget.ACQUIRED, budget.tryAcquire(client("10.0.0.1"), scratch));
        assertEquals(HandshakeBudget.ACQUIRED, budget.tryAcquire(client("10.0.0.2"), scratch));
        assertEquals(HandshakeBudget.PREFIX_SPENT, budget.tryAcquire(client("10.0.0.3"), scratch), "same /24");
        assertEquals(2, budget.inProgress(), "a refusal takes nothing");
        assertEquals(HandshakeBudget.ACQUIRED, budget.tryAcquire(client("10.0.1.1"), scratch));
        assertEquals(HandshakeBudget.BUDGET_SPENT, budget.tryAcquire(client("10.0.2.1"), scratch));
        assertEquals(2, budget.prefixes(), "a refused prefix holds no count");
        // Budget spent and the prefix at its share: the prefix is what refuses, so no other network's first flight
        // is evicted for a unit this prefix could not take.
        assertEquals(HandshakeBudget.PREFIX_SPENT, budget.tryAcquire(client("10.0.0.9"), scratch));
        // A unit given back by the prefix makes room for the prefix.
        budget.release(client("10.0.0.1"), scratch);
        assertEquals(HandshakeBudget.ACQUIRED, budget.tryAcquire(client("10.0.0.3"), scratch));
        budget.release(client("10.0.0.2"), scratch);
        budget.release(client("10.0.0.3"), scratch);
        budget.release(client("10.0.1.1"), scratch);
        assertEquals(0, budget.inProgress());
        assertEquals(0, budget.prefixes(), "a prefix's count goes with its last unit");
    }

    @Test
    void shouldShareAnIpv6Slash64() {
        HandshakeBudget budget = new HandshakeBudget(10, 1);
        assertEquals(HandshakeBudget.ACQUIRED, budget.tryAcquire(client("2001:db8::1"), scratch));
        assertEquals(HandshakeBudget.PREFIX_SPENT, budget.tryAcquire(client("2001:db8::ffff:2"), scratch));
        assertEquals(HandshakeBudget.ACQUIRED, budget.tryAcquire(client("2001:db8:0:1::1"), scratch));
        // An IPv4 address and an IPv6 address with the same leading octets are different prefixes.
        assertEquals(HandshakeBudget.ACQUIRED, budget.tryAcquire(client("32.1.13.184"), scratch));
        assertEquals(3, budget.prefixes());
    }

    @Test
    void shouldKeepUnitsHeldAboveALoweredBudgetUntilReleased() {
        HandshakeBudget budget = new HandshakeBudget(2, 0);
        assertEquals(HandshakeBudget.ACQUIRED, budget.tryAcquire(client("10.0.0.1"), scratch));
        assertEquals(HandshakeBudget.ACQUIRED, budget.tryAcquire(client("10.0.0.1"), scratch));
        budget.setMax(1);
        assertEquals(2, budget.inProgress());
        budget.release(client("10.0.0.1"), scratch);
        assertEquals(HandshakeBudget.BUDGET_SPENT, budget.tryAcquire(client("10.0.0.2"), scratch));
        budget.release(client("10.0.0.1"), scratch);
        assertEquals(HandshakeBudget.ACQUIRED, budget.tryAcquire(client("10.0.0.2"), scratch));
        assertEquals(0, budget.prefixes(), "no per-prefix bound, no prefix counts");
    }

    private static InetSocketAddress client(String address) {
        return new InetSocketAddress(InetAddress.ofLiteral(address), 40000);
    }
}
