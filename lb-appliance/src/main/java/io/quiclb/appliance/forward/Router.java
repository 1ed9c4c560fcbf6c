package io.quiclb.appliance.forward;

import io.quiclb.appliance.decision.DecisionTables;
import io.quiclb.appliance.route.Placement;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.ServerHandle;
import io.quiclb.appliance.table.AddressKeyTable;
import io.quiclb.codec.CidDecoder;
import io.quiclb.codec.FirstOctet;
import io.quiclb.codec.QuicLbConfig;
import java.net.InetSocketAddress;

/**
 * Decides where one datagram goes, from its first octets and the client's 4-tuple, following draft-21 §4.2 "Load
 * Balancer Forwarding" over the RFC 8999 invariant header, for every packet:
 * <ol>
 *   <li>A routable DCID goes to the server its server ID names (§5.5), and to that server's thread socket when the
 *       configuration carries thread IDs and the server has a socket for the decoded one.</li>
 *   <li>A long header: the 4-tuple‖SCID table;</li>
 *   <li>the DCID table. For a short header the DCID's length is known when its config ID is known (the config's
 *       CID length) or is 0b111 (self-encoded, §3.2), else the table is tried with each length of the unroutable
 *       CIDs it learned from servers;</li>
 *   <li>the 4-tuple table;</li>
 *   <li>otherwise the baseline fallback (§4.3.1): a consistent hash of the 4-tuple over the servers that take new
 *       first flights, then, for a server with thread sockets, one of those that answer health probes by the same
 *       hash (a {@link Placement}: the thread that takes a first flight owns the connection). The caller
 *       records the decision with {@link #recordDecision} once the datagram has a flow (all three tables for a
 *       long header; the 4-tuple table, and the DCID table when the DCID's length is known, for a short header).</li>
 * </ol>
 * The tables are {@link DecisionTables}, shared by every worker, so the answer does not depend on which worker the
 * kernel handed the datagram to. Entries naming a server that has since been removed are skipped.
 *
 * <p>Long headers are parsed version-independently (RFC 8999 §5.1): the 20-octet limit on connection IDs is QUIC
 * v1's (RFC 9000 §17.2) and v2's (RFC 9369), applied only to those versions; a long header of any other version may
 * carry connection IDs of up to 255 octets and is routed like any unroutable first flight, so a server can answer
 * it with Version Negotiation.
 *
 * <p>{@link #route} returns a {@link ForwarderCounter}: a routed outcome, with {@link #placement()} set, or a drop
 * reason. It never throws, and allocates nothing except when a shared table grows.
 *
 * <p><b>Hot path.</b> <b>Thread safety:</b> not thread-safe; one instance per worker (it owns a
 * {@link CidDecoder}). The {@link DecisionTables} it uses are shared and thread-safe.
 */
public final class Router {
    /**
     * Octets of a datagram the router reads first: a short header's DCID (1 + 20 octets) or a QUIC v1 or v2 long
     * header's invariant prefix (1 + 4 + 1 + 20 + 1 + 20).
     */
    public static final int HEADER_PREFIX_LENGTH = 48;
    /** The longest invariant long-header prefix (RFC 8999 §5.1): 1 + 4 + 1 + 255 + 1 + 255 octets. */
    public static final int MAX_HEADER_PREFIX_LENGTH = 517;
    /** QUIC version 1 (RFC 9000). */
    public static final int QUIC_V1 = 0x00000001;
    /** QUIC version 2 (RFC 9369). */
    public static final int QUIC_V2 = 0x6b3343cf;
    private static final int MAX_V1_CID_LENGTH = 20;
    private static final int MAX_INVARIANT_CID_LENGTH = 255;
    private static final int LONG_HEADER_DCID_OFFSET = 6;

    private final CidDecoder decoder = new CidDecoder();
    private final byte[] serverId = new byte[QuicLbConfig.MAX_SERVER_ID_LENGTH];
    private final DecisionTables tables;
    private final LocalAddresses locals;
    private RouteTable decoderTable;
    private Placement placement;
    private int routedConfigId;
    private ForwarderCounter note;
    /** The last fallback decision's connection IDs in the header: offsets (-1 for none) and lengths. */
    private int decidedScidOffset;
    private int decidedScidLength;
    private int decidedDcidOffset;
    private int decidedDcidLength;

    /**
     * @param tables the shared §4.2 tables
     * @param locals the local addresses, for the fallback hash of a 4-tuple
     */
    public Router(DecisionTables tables, LocalAddresses locals) {
        this.tables = tables;
        this.locals = locals;
    }

    /**
     * How much of a datagram {@link #route} needs: a long header whose connection IDs end past the
     * {@value #HEADER_PREFIX_LENGTH} octets read first (only versions other than v1 and v2 allow that) needs more.
     *
     * @param header the first {@code length} octets of the datagram
     * @param length how many there are
     * @return octets to read, at most {@value #MAX_HEADER_PREFIX_LENGTH}; {@code length} when they suffice
     */
    public static int prefixNeeded(byte[] header, int length) {
        if (length <= LONG_HEADER_DCID_OFFSET || (header[0] & 0x80) == 0) {
            return length;
        }
        int scidLengthAt = LONG_HEADER_DCID_OFFSET + (header[LONG_HEADER_DCID_OFFSET - 1] & 0xff);
        if (scidLengthAt >= length) {
            return Math.min(MAX_HEADER_PREFIX_LENGTH, scidLengthAt + 1 + MAX_INVARIANT_CID_LENGTH);
        }
        return Math.max(length, scidLengthAt + 1 + (header[scidLengthAt] & 0xff));
    }

    /**
     * @param table  the route table in force (read once for this datagram)
     * @param header the datagram's first octets
     * @param length how many of them are in {@code header}: at least min(datagram length,
     *               {@link #prefixNeeded})
     * @param client the client's address
     * @param local  the number of the local address the datagram arrived on ({@link LocalAddresses})
     * @param now    a monotonic clock in nanoseconds, for table idle timers
     * @return a ROUTED_* counter, or a DROPPED_* counter naming the reason
     */
    public ForwarderCounter route(RouteTable table, byte[] header, int length, InetSocketAddress client, int local,
                                  long now) {
        if (table != decoderTable) {
            installConfigs(table);
        }
        if (length < 1) {
            return ForwarderCounter.DROPPED_TOO_SHORT;
        }
        if ((header[0] & 0x80) != 0) {
            return routeLongHeader(table, header, length, client, local, now);
        }
        if (length < 2) {
            return ForwarderCounter.DROPPED_TOO_SHORT;
        }
        // The hot path: a short header with a routable DCID. Everything else is out of line.
        final int result = decoder.decode(header, 1, length - 1, serverId, 0);
        if (result > 0) {
            int configId = FirstOctet.configId(header[1]);
            ServerHandle owner = table.server(configId, serverId, 0, result);
            if (owner != null) {
                return routedByCid(owner, configId);
            }
        }
        return routeUnroutableShortHeader(table, header, length, result, client, local, now);
    }

    /** @return where the last routed datagram goes: its server and target */
    public Placement placement() {
        return placement;
    }

    /** @return the target of the last routed datagram */
    public InetSocketAddress target() {
        return placement.target();
    }

    /** @return the server of the last routed datagram */
    public ServerHandle server() {
        return placement.server();
    }

    /** @return the config ID of the last datagram routed by CID, else -1 */
    public int routedConfigId() {
        return routedConfigId;
    }

    /**
     * @return for the last datagram routed by the tables or the fallback (not by CID), what else to count, or null:
     *         why a short header's DCID was unroutable ({@code UNROUTABLE_SHORT_*}), or
     *         {@link ForwarderCounter#UNKNOWN_VERSION} for a long header of a version other than QUIC v1 and v2
     */
    public ForwarderCounter note() {
        return note;
    }

    /**
     * Records the last fallback decision (§4.2 step 5) in the tables: the 4-tuple, and for a long header the
     * 4-tuple‖SCID and the DCID, for a short header the DCID when its length is known. The caller records it once the
     * datagram has a flow, so a first flight that is dropped (no budget, no flow) leaves nothing behind.
     *
     * @param header the same octets {@link #route} saw
     * @return false when a table was full
     */
    public boolean recordDecision(byte[] header, InetSocketAddress client, int local, long now) {
        Placement chosen = placement;
        boolean recorded = tables.recordTuple(client, local, chosen, now);
        if (decidedScidOffset >= 0) {
            recorded &= tables.recordSourceCid(client, local, header, decidedScidOffset, decidedScidLength, chosen,
                    now);
        }
        if (decidedDcidOffset >= 0) {
            recorded &= tables.recordDestinationCid(header, decidedDcidOffset, decidedDcidLength, chosen, now);
        }
        return recorded;
    }

    /**
     * The connection IDs of the last fallback decision, for {@link DecisionTables#forget} when the flow it opened
     * closes without being confirmed. Allocates: call once per new flow, not per datagram.
     *
     * @param header the same octets {@link #route} saw
     * @return SCID length (-1 for none or too long for the table), DCID length (0 for none or too long), SCID octets,
     *         DCID octets
     */
    public byte[] decidedIds(byte[] header) {
        int scid = decidedScidOffset >= 0 && decidedScidLength <= AddressKeyTable.MAX_ID_LENGTH
                ? decidedScidLength : -1;
        int dcid = decidedDcidOffset >= 0 && decidedDcidLength <= AddressKeyTable.MAX_ID_LENGTH
                ? decidedDcidLength : 0;
        int scidOctets = Math.max(scid, 0);
        byte[] ids = new byte[2 + scidOctets + dcid];
        ids[0] = (byte) scid;
        ids[1] = (byte) dcid;
        System.arraycopy(header, Math.max(decidedScidOffset, 0), ids, 2, scidOctets);
        System.arraycopy(header, Math.max(decidedDcidOffset, 0), ids, 2 + scidOctets, dcid);
        return ids;
    }

    private void decided(int scidOffset, int scidLength, int dcidOffset, int dcidLength) {
        decidedScidOffset = scidOffset;
        decidedScidLength = scidLength;
        decidedDcidOffset = dcidOffset;
        decidedDcidLength = dcidLength;
    }

    /**
     * Learns the SCID of a server's long header that the appliance relays to a client, when the load balancer
     * cannot route it (draft-21 §3.2: a server without a configuration issues 0b111 CIDs; or a configuration this
     * load balancer lacks): the client will use it as its DCID, possibly from another address later.
     * Version Negotiation and versions other than QUIC v1 and v2 are skipped.
     *
     * @param table     the route table in force
     * @param header    the reply's first octets
     * @param length    how many of them are in {@code header}
     * @param placement where the reply's flow goes
     * @param now       a monotonic clock in nanoseconds
     * @return whether a CID was learned
     */
    public boolean learnFromReply(RouteTable table, byte[] header, int length, Placement placement, long now) {
        if (length <= LONG_HEADER_DCID_OFFSET || (header[0] & 0x80) == 0) {
            return false;
        }
        int version = readInt(header, 1);
        if (version != QUIC_V1 && version != QUIC_V2) {
            return false;
        }
        int dcidLength = header[LONG_HEADER_DCID_OFFSET - 1] & 0xff;
        int scidLengthAt = LONG_HEADER_DCID_OFFSET + dcidLength;
        if (dcidLength > MAX_V1_CID_LENGTH || scidLengthAt >= length) {
            return false;
        }
        int scidLength = header[scidLengthAt] & 0xff;
        if (scidLength == 0 || scidLength > MAX_V1_CID_LENGTH || scidLengthAt + 1 + scidLength > length) {
            return false;
        }
        if (table != decoderTable) {
            installConfigs(table);
        }
        int result = decoder.decode(header, scidLengthAt + 1, scidLength, serverId, 0);
        if (result > 0 && table.server(FirstOctet.configId(header[scidLengthAt + 1]), serverId, 0, result) != null) {
            return false; // routable: the CID itself names the server
        }
        return tables.learnServerCid(header, scidLengthAt + 1, scidLength, placement, now);
    }

    private ForwarderCounter routeUnroutableShortHeader(RouteTable table, byte[] header, int length, int result,
                                                        InetSocketAddress client, int local, long now) {
        int dcidLength = 0;
        if (result > 0) {
            note = ForwarderCounter.UNROUTABLE_SHORT_NO_SERVER_FOR_SID;
            dcidLength = table.config(FirstOctet.configId(header[1])).cidLength();
        } else if (result == CidDecoder.UNROUTABLE_CODEPOINT) {
            note = ForwarderCounter.UNROUTABLE_SHORT_CONFIG_ID_7;
            int selfEncoded = FirstOctet.selfEncodedCidLength(header[1]);
            dcidLength = selfEncoded <= length - 1 ? selfEncoded : 0;
        } else if (result == CidDecoder.UNKNOWN_CONFIG) {
            note = ForwarderCounter.UNROUTABLE_SHORT_UNKNOWN_CONFIG;
        } else {
            note = ForwarderCounter.UNROUTABLE_SHORT_CID_TOO_SHORT;
        }
        // §4.2 step 3: the DCID table, with the DCID's length if known, else with each length it learned.
        Placement known = dcidLength > 0 ? live(table, tables.byDestinationCid(header, 1, dcidLength, now)) : null;
        if (known == null) {
            int lengths = tables.learnedLengths() & ~(1 << dcidLength);
            while (lengths != 0 && known == null) {
                int candidate = Integer.numberOfTrailingZeros(lengths);
                lengths &= lengths - 1;
                if (candidate <= length - 1) {
                    known = live(table, tables.byDestinationCid(header, 1, candidate, now));
                }
            }
        }
        // Step 4: the 4-tuple table.
        if (known == null) {
            known = live(table, tables.byTuple(client, local, now));
        }
        if (known != null) {
            return routedByTable(known);
        }
        // Step 5: the baseline fallback.
        final int flowHash = fallbackHash(client, local);
        ServerHandle chosenServer = table.fallback(flowHash);
        if (chosenServer == null) {
            return ForwarderCounter.DROPPED_NO_SERVER_AVAILABLE;
        }
        Placement chosen = table.firstFlight(chosenServer, flowHash);
        decided(-1, 0, dcidLength > 0 ? 1 : -1, dcidLength);
        return routedByFallback(chosen);
    }

    private ForwarderCounter routeLongHeader(RouteTable table, byte[] header, int length, InetSocketAddress client,
                                             int local, long now) {
        if (length < LONG_HEADER_DCID_OFFSET + 1) {
            return ForwarderCounter.DROPPED_TOO_SHORT;
        }
        final int version = readInt(header, 1);
        final boolean v1Limits = version == QUIC_V1 || version == QUIC_V2;
        final int dcidLength = header[LONG_HEADER_DCID_OFFSET - 1] & 0xff;
        if (v1Limits && dcidLength > MAX_V1_CID_LENGTH) {
            return ForwarderCounter.DROPPED_DCID_TOO_LONG;
        }
        final int scidLengthAt = LONG_HEADER_DCID_OFFSET + dcidLength;
        if (scidLengthAt >= length) {
            return ForwarderCounter.DROPPED_BAD_HEADER;
        }
        final int scidLength = header[scidLengthAt] & 0xff;
        if ((v1Limits && scidLength > MAX_V1_CID_LENGTH) || scidLengthAt + 1 + scidLength > length) {
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
        note = v1Limits ? null : ForwarderCounter.UNKNOWN_VERSION;
        Placement known = live(table, tables.bySourceCid(client, local, header, scidLengthAt + 1, scidLength, now));
        if (known == null) {
            known = live(table, tables.byDestinationCid(header, LONG_HEADER_DCID_OFFSET, dcidLength, now));
        }
        if (known == null) {
            known = live(table, tables.byTuple(client, local, now));
        }
        if (known != null) {
            return routedByTable(known);
        }
        final int flowHash = fallbackHash(client, local);
        ServerHandle chosenServer = table.fallback(flowHash);
        if (chosenServer == null) {
            return ForwarderCounter.DROPPED_NO_SERVER_AVAILABLE;
        }
        Placement chosen = table.firstFlight(chosenServer, flowHash);
        decided(scidLengthAt + 1, scidLength, dcidLength > 0 ? LONG_HEADER_DCID_OFFSET : -1, dcidLength);
        return routedByFallback(chosen);
    }

    /**
     * The baseline fallback's input (§4.3.1): the 4-tuple alone, as addresses and ports, so every process (a
     * restarted appliance, another appliance of a fleet) hashes a client the same way.
     */
    private int fallbackHash(InetSocketAddress client, int local) {
        InetSocketAddress localAddress = locals.address(local);
        int h = AddressKeyTable.mix(0x2545f491, client.getAddress().hashCode());
        h = AddressKeyTable.mix(h, client.getPort());
        h = AddressKeyTable.mix(h, localAddress.getAddress().hashCode());
        h = AddressKeyTable.mix(h, localAddress.getPort());
        return AddressKeyTable.fmix(h);
    }

    private static Placement live(RouteTable table, Placement placement) {
        return placement != null && table.isLive(placement.server()) ? placement : null;
    }

    private ForwarderCounter routedByCid(ServerHandle owner, int configId) {
        placement = owner.placement(decoder.threadId());
        routedConfigId = configId;
        return placement.target() == owner.address() ? ForwarderCounter.ROUTED_BY_CID
                : ForwarderCounter.ROUTED_TO_THREAD;
    }

    private ForwarderCounter routedByTable(Placement known) {
        placement = known;
        routedConfigId = -1;
        return ForwarderCounter.ROUTED_BY_TABLE;
    }

    private ForwarderCounter routedByFallback(Placement chosen) {
        placement = chosen;
        routedConfigId = -1;
        return ForwarderCounter.ROUTED_BY_FALLBACK;
    }

    private static int readInt(byte[] header, int offset) {
        return (header[offset] & 0xff) << 24 | (header[offset + 1] & 0xff) << 16 | (header[offset + 2] & 0xff) << 8
                | (header[offset + 3] & 0xff);
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
