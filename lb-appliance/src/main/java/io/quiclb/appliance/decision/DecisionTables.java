package io.quiclb.appliance.decision;

import io.quiclb.appliance.route.Placement;
import io.quiclb.appliance.table.AddressKeyTable;
import io.quiclb.appliance.table.SharedAddressKeyTable;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tables of routing decisions of draft-21 §4.2, one set for the whole appliance: 4-tuple‖SCID (step 2), DCID
 * (step 3) and 4-tuple (step 4). Every worker reads and writes the same tables, so a decision made on one worker
 * holds on every other: when a client's port changes during its first flight, the kernel's SO_REUSEPORT hash may
 * hand the new 4-tuple to another worker, and that worker still finds the DCID the first one recorded.
 *
 * <p>A 4-tuple is the client's address and the index of the local address it sent to (one process numbers local
 * addresses the same way on every worker). Connection IDs longer than {@value AddressKeyTable#MAX_ID_LENGTH} octets
 * (possible only in versions other than QUIC v1 and v2, RFC 8999) have no entry in the CID tables; such packets
 * are routed by their 4-tuple.
 *
 * <p>The DCID table also holds server-issued CIDs the load balancer cannot route (a 0b111 CID of a server without
 * a configuration, §3.2, or a CID of a configuration the load balancer lacks), learned from the SCID of the
 * server's long headers that the appliance relays, so a client whose address changes later is still routed to its
 * server. Because short headers do not carry a CID length, the table remembers which lengths such CIDs have.
 *
 * <p>Entries expire after they have not been used for the flow idle timeout ({@link #expire}); a placement naming
 * a server that has since been removed is the caller's to ignore.
 *
 * <p><b>Thread safety:</b> thread-safe: striped tables ({@link SharedAddressKeyTable}) of immutable
 * {@link Placement}s. Lookups allocate nothing.
 */
public final class DecisionTables {
    /** Stripes per table: a power of two well above the largest worker count (256), so workers seldom meet. */
    static final int STRIPES = 1024;
    private static final byte[] NO_ID = new byte[0];

    private final SharedAddressKeyTable<Placement> bySourceCid;
    private final SharedAddressKeyTable<Placement> byDestinationCid;
    private final SharedAddressKeyTable<Placement> byTuple;
    /** Bit L is set once a server CID of L octets was learned. */
    private final AtomicInteger learnedLengths = new AtomicInteger();

    /**
     * @param maxEntriesEach entries each of the three tables holds at most
     */
    public DecisionTables(int maxEntriesEach) {
        int stripes = Math.min(STRIPES, Integer.highestOneBit(Math.max(1, maxEntriesEach / 64)));
        this.bySourceCid = new SharedAddressKeyTable<>(maxEntriesEach, stripes);
        this.byDestinationCid = new SharedAddressKeyTable<>(maxEntriesEach, stripes);
        this.byTuple = new SharedAddressKeyTable<>(maxEntriesEach, stripes);
    }

    /**
     * §4.2 step 2.
     *
     * @return the placement recorded for this 4-tuple and SCID, or null
     */
    public Placement bySourceCid(InetSocketAddress client, int local, byte[] scid, int offset, int length, long now) {
        return length > AddressKeyTable.MAX_ID_LENGTH ? null
                : bySourceCid.get(client, local, null, scid, offset, length, now);
    }

    /**
     * §4.2 step 3.
     *
     * @return the placement recorded for this DCID, or null
     */
    public Placement byDestinationCid(byte[] dcid, int offset, int length, long now) {
        return length == 0 || length > AddressKeyTable.MAX_ID_LENGTH ? null
                : byDestinationCid.get(null, -1, null, dcid, offset, length, now);
    }

    /**
     * §4.2 step 4.
     *
     * @return the placement recorded for this 4-tuple, or null
     */
    public Placement byTuple(InetSocketAddress client, int local, long now) {
        return byTuple.get(client, local, null, NO_ID, 0, 0, now);
    }

    /**
     * Records a long header's 4-tuple‖SCID decision (§4.2 step 5); an SCID the table cannot hold is skipped.
     *
     * @return false when the table was full
     */
    public boolean recordSourceCid(InetSocketAddress client, int local, byte[] scid, int offset, int length,
                                   Placement placement, long now) {
        if (length > AddressKeyTable.MAX_ID_LENGTH) {
            return true;
        }
        return bySourceCid.put(client, local, null, scid, offset, length, placement, now);
    }

    /**
     * Forgets what a first flight recorded, when its flow closes without being confirmed (evicted or expired: most
     * often a spoofed source), so a flood does not fill the tables for {@code flowIdleTimeout}. Each entry goes only
     * if it still names {@code placement} and nobody looked it up after the flow's last datagram (a client that
     * rebound to another worker during its first flight keeps it).
     *
     * @param ids      what {@code Router.decidedIds} returned: SCID length (-1 for none), DCID length (0 for none),
     *                 SCID, DCID
     * @param lastSeen monotonic nanoseconds of the flow's last client datagram
     */
    public void forget(InetSocketAddress client, int local, byte[] ids, Placement placement, long lastSeen) {
        int scid = ids[0];
        int dcid = ids[1];
        byTuple.removeValueIfUnseenSince(client, local, null, NO_ID, 0, 0, placement, lastSeen);
        if (scid >= 0) {
            bySourceCid.removeValueIfUnseenSince(client, local, null, ids, 2, scid, placement, lastSeen);
        }
        if (dcid > 0) {
            byDestinationCid.removeValueIfUnseenSince(null, -1, null, ids, 2 + Math.max(scid, 0), dcid, placement,
                    lastSeen);
        }
    }

    /**
     * Records (or refreshes) the placement of a 4-tuple: after a fallback decision, and while a connection's datagrams
     * flow, whichever way they were routed (draft-21 §6: a load balancer MAY associate a 4-tuple with a decision), so
     * an unroutable packet on that 4-tuple, such as a client's stateless reset, reaches the same server.
     *
     * @return false when the table was full
     */
    public boolean recordTuple(InetSocketAddress client, int local, Placement placement, long now) {
        return byTuple.put(client, local, null, NO_ID, 0, 0, placement, now);
    }

    /**
     * Records a DCID's placement; a CID the table cannot hold (empty or too long) is skipped.
     *
     * @return false when the table was full
     */
    public boolean recordDestinationCid(byte[] dcid, int offset, int length, Placement placement, long now) {
        if (length == 0 || length > AddressKeyTable.MAX_ID_LENGTH) {
            return true;
        }
        return byDestinationCid.put(null, -1, null, dcid, offset, length, placement, now);
    }

    /**
     * Learns a CID a server issued that the load balancer cannot route, so later packets carrying it as their DCID
     * (short headers included, whatever the client's address) reach that placement.
     *
     * @return false when the table was full
     */
    public boolean learnServerCid(byte[] cid, int offset, int length, Placement placement, long now) {
        if (length == 0 || length > AddressKeyTable.MAX_ID_LENGTH) {
            return true;
        }
        int bit = 1 << length;
        int old;
        while (((old = learnedLengths.get()) & bit) == 0 && !learnedLengths.compareAndSet(old, old | bit)) {
            Thread.onSpinWait();
        }
        return byDestinationCid.put(null, -1, null, cid, offset, length, placement, now);
    }

    /** @return a bit set of the lengths of the server CIDs learned so far: bit L for L octets */
    public int learnedLengths() {
        return learnedLengths.get();
    }

    /**
     * Forgets decisions not used since {@code idleBefore}.
     *
     * @return entries removed
     */
    public int expire(long idleBefore) {
        return bySourceCid.expire(idleBefore) + byDestinationCid.expire(idleBefore) + byTuple.expire(idleBefore);
    }

    /** @return entries in the three tables together */
    public int size() {
        return bySourceCid.size() + byDestinationCid.size() + byTuple.size();
    }
}
