package io.quiclb.appliance.forward;

import io.quiclb.appliance.route.Placement;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.ServerHandle;
import io.quiclb.codec.CidDecoder;
import io.quiclb.codec.FirstOctet;
import io.quiclb.codec.QuicLbConfig;
import java.net.InetSocketAddress;

/**
 * Decides where one datagram goes, from the first octets of the datagram and the client's 4-tuple, following
 * draft-21 §4.2 "Load Balancer Forwarding" over the RFC 8999 invariant header:
 * <ol>
 *   <li>A routable DCID goes to the server its server ID names (§5.5), and to that server's thread socket when the
 *       configuration carries thread IDs and the server has a socket for the decoded one.</li>
 *   <li>Otherwise a long header goes by the 4-tuple‖SCID table, then the DCID table, then the 4-tuple table; and,
 *       when none knows it, by the baseline fallback (§4.3.1): a consistent hash of the 4-tuple over the servers
 *       that take new first flights, then, for a server with thread sockets, one of those that answer health probes by
 *       the same hash (a {@link Placement}: the thread that takes the first flight owns the connection). That decision is recorded
 *       in all three tables, so every packet of a client's first flight reaches the same socket even when servers
 *       come and go.</li>
 *   <li>An unroutable short header goes by the DCID table (for 0b111 CIDs, whose length is self-encoded) or the
 *       4-tuple table, and is dropped otherwise. Short headers never carry a client's first flight (§8), so a
 *       hashed guess could only land on a server that does not know the connection.</li>
 * </ol>
 * Table entries naming a server that has since been removed are ignored. Entries expire after the flow idle
 * timeout ({@link #expire}).
 *
 * <p>{@link #route} returns a {@link ForwarderCounter}: a routed outcome, with {@link #target()} and
 * {@link #server()} set, or a drop reason. It never throws and allocates nothing except when it records a new
 * fallback decision in a table that has to grow.
 *
 * <p><b>Hot path.</b> <b>Thread safety:</b> not thread-safe; one instance per worker.
 */
public final class Router {
    /** Octets of a datagram the router reads: 1 + 4 + 1 + 20 + 1 + 20 for the longest long header prefix. */
    public static final int HEADER_PREFIX_LENGTH = 48;
    private static final int MAX_CID_LENGTH = 20;
    private static final int LONG_HEADER_DCID_OFFSET = 6;
    private static final byte[] NO_ID = new byte[0];

    private final CidDecoder decoder = new CidDecoder();
    private final byte[] serverId = new byte[QuicLbConfig.MAX_SERVER_ID_LENGTH];
    private final AddressKeyTable<Placement> scidTable;
    private final AddressKeyTable<Placement> dcidTable;
    private final AddressKeyTable<Placement> tupleTable;
    private RouteTable decoderTable;
    private InetSocketAddress target;
    private ServerHandle server;
    private int routedConfigId;

    /**
     * @param maxTableEntries entries each of the three fallback tables holds at most
     */
    public Router(int maxTableEntries) {
        this.scidTable = new AddressKeyTable<>(maxTableEntries);
        this.dcidTable = new AddressKeyTable<>(maxTableEntries);
        this.tupleTable = new AddressKeyTable<>(maxTableEntries);
    }

    /**
     * @param table    the route table in force (read once for this datagram)
     * @param header   the datagram's first octets
     * @param length   how many of them are in {@code header}: min(datagram length, {@value #HEADER_PREFIX_LENGTH})
     * @param client   the client's address
     * @param listener index of the listener address the datagram arrived on
     * @param now      a monotonic clock in nanoseconds, for table idle timers
     * @return a ROUTED_* counter, or a DROPPED_* counter naming the reason
     */
    public ForwarderCounter route(RouteTable table, byte[] header, int length, InetSocketAddress client, int listener,
                                  long now) {
        if (table != decoderTable) {
            installConfigs(table);
        }
        if (length < 1) {
            return ForwarderCounter.DROPPED_TOO_SHORT;
        }
        if ((header[0] & 0x80) != 0) {
            return routeLongHeader(table, header, length, client, listener, now);
        }
        return routeShortHeader(table, header, length, client, listener, now);
    }

    /** @return the target of the last routed datagram */
    public InetSocketAddress target() {
        return target;
    }

    /** @return the server of the last routed datagram */
    public ServerHandle server() {
        return server;
    }

    /** @return the config ID of the last datagram routed by CID, else -1 */
    public int routedConfigId() {
        return routedConfigId;
    }

    /**
     * Forgets remembered decisions not used since {@code idleBefore}.
     *
     * @return entries removed
     */
    public int expire(long idleBefore) {
        return scidTable.expire(idleBefore, s -> { })
                + dcidTable.expire(idleBefore, s -> { })
                + tupleTable.expire(idleBefore, s -> { });
    }

    /** @return entries in the three tables together */
    public int tableEntries() {
        return scidTable.size() + dcidTable.size() + tupleTable.size();
    }

    private ForwarderCounter routeShortHeader(RouteTable table, byte[] header, int length, InetSocketAddress client,
                                              int listener, long now) {
        if (length < 2) {
            return ForwarderCounter.DROPPED_TOO_SHORT;
        }
        final int result = decoder.decode(header, 1, length - 1, serverId, 0);
        ForwarderCounter drop;
        if (result > 0) {
            int configId = FirstOctet.configId(header[1]);
            ServerHandle owner = table.server(configId, serverId, 0, result);
            if (owner != null) {
                return routedByCid(owner, configId);
            }
            drop = ForwarderCounter.DROPPED_NO_SERVER_FOR_SID;
        } else if (result == CidDecoder.UNROUTABLE_CODEPOINT) {
            drop = ForwarderCounter.DROPPED_CONFIG_ID_7;
            int cidLength = FirstOctet.selfEncodedCidLength(header[1]);
            if (cidLength <= length - 1 && cidLength <= MAX_CID_LENGTH) {
                Placement known = dcidTable.get(null, -1, null, header, 1, cidLength, now);
                if (known != null && table.isLive(known.server())) {
                    return routedByTable(known);
                }
            }
        } else if (result == CidDecoder.UNKNOWN_CONFIG) {
            drop = ForwarderCounter.DROPPED_UNKNOWN_CONFIG;
        } else {
            drop = ForwarderCounter.DROPPED_CID_TOO_SHORT;
        }
        Placement known = tupleTable.get(client, listener, null, NO_ID, 0, 0, now);
        if (known != null && table.isLive(known.server())) {
            return routedByTable(known);
        }
        return drop;
    }

    private ForwarderCounter routeLongHeader(RouteTable table, byte[] header, int length, InetSocketAddress client,
                                             int listener, long now) {
        if (length < LONG_HEADER_DCID_OFFSET + 1) {
            return ForwarderCounter.DROPPED_TOO_SHORT;
        }
        final int dcidLength = header[LONG_HEADER_DCID_OFFSET - 1] & 0xff;
        if (dcidLength > MAX_CID_LENGTH) {
            return ForwarderCounter.DROPPED_DCID_TOO_LONG;
        }
        final int scidLengthAt = LONG_HEADER_DCID_OFFSET + dcidLength;
        if (scidLengthAt >= length) {
            return ForwarderCounter.DROPPED_BAD_HEADER;
        }
        final int scidLength = header[scidLengthAt] & 0xff;
        if (scidLength > MAX_CID_LENGTH || scidLengthAt + 1 + scidLength > length) {
            return ForwarderCounter.DROPPED_BAD_HEADER;
        }
        if (dcidLength > 0) {
            int result = decoder.decode(header, LONG_HEADER_DCID_OFFSET, dcidLength, serverId, 0);
            if (result > 0) {
                int configId = FirstOctet.configId(header[LONG_HEADER_DCID_OFFSET]);
                ServerHandle owner = table.server(configId, serverId, 0, result);
                if (owner != null) {
                    return routedByCid(owner, configId);
                }
            }
        }
        // Unroutable: draft-21 §4.2 steps 2 to 5.
        Placement known = scidTable.get(client, listener, null, header, scidLengthAt + 1, scidLength, now);
        if (known == null || !table.isLive(known.server())) {
            known = dcidLength == 0 ? null
                    : dcidTable.get(null, -1, null, header, LONG_HEADER_DCID_OFFSET, dcidLength, now);
        }
        if (known == null || !table.isLive(known.server())) {
            known = tupleTable.get(client, listener, null, NO_ID, 0, 0, now);
        }
        if (known != null && table.isLive(known.server())) {
            return routedByTable(known);
        }
        final int flowHash = AddressKeyTable.hash(client, listener, null, NO_ID, 0, 0);
        ServerHandle chosenServer = table.fallback(flowHash);
        if (chosenServer == null) {
            return ForwarderCounter.DROPPED_NO_SERVER_AVAILABLE;
        }
        Placement chosen = table.firstFlight(chosenServer, flowHash);
        scidTable.put(client, listener, null, header, scidLengthAt + 1, scidLength, chosen, now);
        if (dcidLength > 0) {
            dcidTable.put(null, -1, null, header, LONG_HEADER_DCID_OFFSET, dcidLength, chosen, now);
        }
        tupleTable.put(client, listener, null, NO_ID, 0, 0, chosen, now);
        server = chosenServer;
        target = chosen.target();
        routedConfigId = -1;
        return ForwarderCounter.ROUTED_BY_FALLBACK;
    }

    private ForwarderCounter routedByCid(ServerHandle owner, int configId) {
        server = owner;
        routedConfigId = configId;
        int threadId = decoder.threadId();
        target = owner.target(threadId);
        return target == owner.address() ? ForwarderCounter.ROUTED_BY_CID : ForwarderCounter.ROUTED_TO_THREAD;
    }

    private ForwarderCounter routedByTable(Placement known) {
        server = known.server();
        target = known.target();
        routedConfigId = -1;
        return ForwarderCounter.ROUTED_BY_TABLE;
    }

    /** Re-keys the decoder for a new table; only configurations that changed get new AES state. */
    private void installConfigs(RouteTable table) {
        for (int configId = 0; configId <= QuicLbConfig.MAX_CONFIG_ID; configId++) {
            QuicLbConfig wanted = table.config(configId);
            QuicLbConfig installed = decoder.config(configId);
            if (wanted == null) {
                if (installed != null) {
                    decoder.removeConfig(configId);
                }
            } else if (!wanted.equals(installed)) {
                decoder.setConfig(wanted);
            }
        }
        decoderTable = table;
    }

    /** Re-keys now, off the data path, so the first datagram after a change does not pay for it. */
    public void prepare(RouteTable table) {
        if (table != decoderTable) {
            installConfigs(table);
        }
    }
}
