package io.quiclb.appliance.forward;

/**
 * Everything the data plane counts. Each datagram received from a client ends in exactly one <em>outcome</em>: a
 * ROUTED_* counter, or a DROPPED_* counter that is an outcome ({@link #isOutcome}), so
 * {@code received = sum(routed-*) + sum(outcome dropped.*)}. The other counters count what happened besides:
 * sends that failed after routing, replies, flow events, why a short header was unroutable, why a flow could not be
 * opened.
 *
 * <p><b>Thread safety:</b> an enum; immutable.
 */
public enum ForwarderCounter {
    /** Datagrams received from clients. */
    RECEIVED("received", Kind.EVENT),
    /** Forwarded by the server ID decoded from the DCID (draft-21 §4.2 step 1), to the server's address. */
    ROUTED_BY_CID("routed-by-cid", Kind.ROUTED),
    /** Forwarded by the decoded server ID to the socket of the thread the decoded thread ID names. */
    ROUTED_TO_THREAD("routed-to-thread", Kind.ROUTED),
    /** Unroutable DCID forwarded by a remembered decision: the 4-tuple‖SCID, DCID or 4-tuple table (§4.2). */
    ROUTED_BY_TABLE("routed-by-table", Kind.ROUTED),
    /** Unroutable DCID forwarded by a new fallback decision, a consistent hash of the 4-tuple (§4.3.1). */
    ROUTED_BY_FALLBACK("routed-by-fallback", Kind.ROUTED),

    /** Empty datagram, or too short for a long header's fixed part. */
    DROPPED_TOO_SHORT("dropped.too-short", Kind.DROPPED),
    /** Datagram filled the whole receive buffer, so it may have been truncated ({@code forwarder.maxDatagramSize}). */
    DROPPED_TOO_LARGE("dropped.too-large", Kind.DROPPED),
    /** QUIC v1 or v2 long header with a DCID longer than 20 octets (RFC 9000 §17.2: MUST drop). */
    DROPPED_DCID_TOO_LONG("dropped.dcid-too-long", Kind.DROPPED),
    /** Long header truncated inside its connection IDs, or a QUIC v1 or v2 one with an SCID longer than 20 octets. */
    DROPPED_BAD_HEADER("dropped.bad-header", Kind.DROPPED),
    /** Unroutable DCID, and no server can take new first flights. */
    DROPPED_NO_SERVER_AVAILABLE("dropped.no-server-available", Kind.DROPPED),
    /** A new flow would exceed the flow limit and no unconfirmed flow could make room. */
    DROPPED_FLOW_LIMIT("dropped.flow-limit", Kind.DROPPED),
    /**
     * A new flow for an unroutable DCID would exceed {@code forwarder.maxHandshakes} (or its prefix share), and no
     * first flight in progress that the server answered and the client never confirmed could make room.
     */
    DROPPED_INITIAL_BUDGET("dropped.initial-budget", Kind.DROPPED),
    /** A new flow's upstream port could not be had: see the {@code flow-open-failed.*} counters for why. */
    DROPPED_FLOW_OPEN_FAILED("dropped.flow-open-failed", Kind.DROPPED),
    /**
     * A wildcard listener got a datagram whose destination address the transport does not report (IPv6, io_uring,
     * NIO) and that has no socket of its own yet: no reply could leave from the right address.
     */
    DROPPED_UNKNOWN_DESTINATION("dropped.unknown-destination", Kind.DROPPED),
    /**
     * The datagram came from one of the appliance's own upstream sockets: a server address leads back to a listener
     * (a forwarding loop). Logged once per interval; fix the server's address.
     */
    DROPPED_LOOP("dropped.loop", Kind.DROPPED),
    /** The data path threw: a bug, logged (the first few with stack traces). Should stay 0. */
    DROPPED_INTERNAL_ERROR("dropped.internal-error", Kind.DROPPED),

    /** A routed datagram the kernel refused to send (counted besides its routed-* outcome). */
    DROPPED_SEND_FAILED("dropped.send-failed", Kind.AFTER_ROUTING),
    /** Sending a server's reply to the client failed. */
    DROPPED_REPLY_SEND_FAILED("dropped.reply-send-failed", Kind.AFTER_ROUTING),
    /** A receive on a listener or upstream socket failed (the kernel reported an error instead of a datagram). */
    RECEIVE_ERRORS("receive-errors", Kind.AFTER_ROUTING),
    /** A datagram at an upstream port from an address that has no flow there (a stray or late reply). */
    DROPPED_REPLY_NO_FLOW("dropped.reply-no-flow", Kind.AFTER_ROUTING),

    /** Replies relayed from servers back to clients. */
    REPLIES("replies", Kind.EVENT),
    /** NAT flows opened. */
    FLOWS_OPENED("flows-opened", Kind.EVENT),
    /** Flows confirmed: the client sent again after the server had answered. */
    FLOWS_CONFIRMED("flows-confirmed", Kind.EVENT),
    /** Confirmed flows closed after {@code forwarder.flowIdleTimeout} without datagrams. */
    FLOWS_EXPIRED("flows-expired", Kind.EVENT),
    /** Unconfirmed flows closed after {@code forwarder.unconfirmedFlowIdleTimeout} without a client datagram. */
    FLOWS_EXPIRED_UNCONFIRMED("flows-expired-unconfirmed", Kind.EVENT),
    /**
     * Unconfirmed flows closed to make room: the oldest, when the flow table was full; or the oldest answered but
     * never confirmed first flight, when the handshake budget was spent.
     */
    FLOWS_EVICTED("flows-evicted", Kind.EVENT),
    /** No descriptor left for a new upstream port (the capacity's socket budget is spent). */
    FLOW_OPEN_FAILED_DESCRIPTORS("flow-open-failed.descriptors", Kind.EVENT),
    /** No local port left for a new upstream port (the kernel refused to bind one). */
    FLOW_OPEN_FAILED_PORTS("flow-open-failed.ports", Kind.EVENT),
    /** A new upstream port could not be opened for another reason (logged). */
    FLOW_OPEN_FAILED_ERROR("flow-open-failed.error", Kind.EVENT),
    /** UDP GSO sends to targets, each carrying two or more forwarded datagrams of one flow. */
    GSO_SENDS("gso-sends", Kind.EVENT),
    /** GSO sends the kernel refused as a batch (EMSGSIZE, EINVAL, EIO); their datagrams were sent one by one. */
    GSO_REFUSED("gso-refused", Kind.EVENT),
    /** Short header whose DCID has config ID 7 (§3.2), routed by the tables or the fallback. */
    UNROUTABLE_SHORT_CONFIG_ID_7("unroutable-short.config-id-7", Kind.EVENT),
    /** Short header whose config ID has no configuration, routed by the tables or the fallback. */
    UNROUTABLE_SHORT_UNKNOWN_CONFIG("unroutable-short.unknown-config", Kind.EVENT),
    /** Short header shorter than its configuration's CID, routed by the tables or the fallback. */
    UNROUTABLE_SHORT_CID_TOO_SHORT("unroutable-short.cid-too-short", Kind.EVENT),
    /** Short header whose server ID no server owns, routed by the tables or the fallback. */
    UNROUTABLE_SHORT_NO_SERVER_FOR_SID("unroutable-short.no-server-for-sid", Kind.EVENT),
    /** Long headers of a version other than QUIC v1 and v2, routed version-independently (RFC 8999). */
    UNKNOWN_VERSION("unknown-version", Kind.EVENT),
    /** Unroutable server CIDs learned from the SCID of relayed long headers into the DCID table. */
    SERVER_CIDS_LEARNED("server-cids-learned", Kind.EVENT),
    /** A decision could not be recorded because a §4.2 table was full ({@code forwarder.maxFlows} entries). */
    DECISION_TABLE_FULL("decision-table-full", Kind.EVENT);

    /** What a counter counts. */
    public enum Kind {
        /** A client datagram forwarded: an outcome. */
        ROUTED,
        /** A client datagram not forwarded: an outcome. */
        DROPPED,
        /** A datagram lost after routing, or on the reply side. */
        AFTER_ROUTING,
        /** Anything else. */
        EVENT
    }

    private final String metricName;
    private final Kind kind;

    ForwarderCounter(String metricName, Kind kind) {
        this.metricName = metricName;
        this.kind = kind;
    }

    /** @return the name used in metrics and /stats */
    public String metricName() {
        return metricName;
    }

    /** @return what it counts */
    public Kind kind() {
        return kind;
    }

    /** @return whether this is the one outcome of a client datagram (routed or dropped) */
    public boolean isOutcome() {
        return kind == Kind.ROUTED || kind == Kind.DROPPED;
    }

    /** @return whether this counts client datagrams that were not forwarded (an outcome) */
    public boolean isDrop() {
        return kind == Kind.DROPPED;
    }
}
