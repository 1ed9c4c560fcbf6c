package io.quiclb.appliance.forward;

/**
 * Everything the data plane counts: what happened to each datagram, by route or by drop reason, and flow
 * events. Every datagram received ends in exactly one ROUTED_* or one DROPPED_* counter other than the two send
 * failures: {@code received = sum(routed-*) + sum(dropped-*) - send-failed - reply-send-failed}. The send failures
 * count datagrams that were routed and then could not be sent.
 *
 * <p><b>Thread safety:</b> an enum; immutable.
 */
public enum ForwarderCounter {
    /** Datagrams received from clients. */
    RECEIVED("received", false),
    /** Forwarded by the server ID decoded from the DCID (draft-21 §4.2 step 1), to the server's address. */
    ROUTED_BY_CID("routed-by-cid", false),
    /** Forwarded by the decoded server ID to the socket of the thread the decoded thread ID names. */
    ROUTED_TO_THREAD("routed-to-thread", false),
    /** Unroutable DCID forwarded by a remembered decision: the 4-tuple‖SCID, DCID or 4-tuple table (§4.2). */
    ROUTED_BY_TABLE("routed-by-table", false),
    /** Unroutable DCID forwarded by a new fallback decision, a consistent hash of the 4-tuple (§4.3.1). */
    ROUTED_BY_FALLBACK("routed-by-fallback", false),
    /** Replies relayed from servers back to clients. */
    REPLIES("replies", false),
    /** NAT flows opened. */
    FLOWS_OPENED("flows-opened", false),
    /** UDP GSO sends to targets, each carrying two or more forwarded datagrams of one flow. */
    GSO_SENDS("gso-sends", false),
    /** NAT flows closed after {@code forwarder.flowIdleTimeout} without datagrams. */
    FLOWS_EXPIRED("flows-expired", false),

    /** Empty datagram, or too short for a long header's fixed part. */
    DROPPED_TOO_SHORT("dropped.too-short", true),
    /** Datagram filled the whole receive buffer, so it may have been truncated ({@code forwarder.maxDatagramSize}). */
    DROPPED_TOO_LARGE("dropped.too-large", true),
    /** Long header with a DCID longer than 20 octets (RFC 9000 §17.2). */
    DROPPED_DCID_TOO_LONG("dropped.dcid-too-long", true),
    /** Long header truncated inside its connection IDs, or with an SCID longer than 20 octets. */
    DROPPED_BAD_HEADER("dropped.bad-header", true),
    /** Short header with config ID 7 that no table knows (§3.2). */
    DROPPED_CONFIG_ID_7("dropped.config-id-7", true),
    /** Short header whose config ID has no configuration, and no table knows its 4-tuple. */
    DROPPED_UNKNOWN_CONFIG("dropped.unknown-config", true),
    /** Short header shorter than its configuration's CID, and no table knows its 4-tuple. */
    DROPPED_CID_TOO_SHORT("dropped.cid-too-short", true),
    /** Short header whose decoded server ID belongs to no server, and no table knows its 4-tuple. */
    DROPPED_NO_SERVER_FOR_SID("dropped.no-server-for-sid", true),
    /** Unroutable long header, and no server can take new first flights. */
    DROPPED_NO_SERVER_AVAILABLE("dropped.no-server-available", true),
    /** A new flow would exceed {@code forwarder.maxFlows}. */
    DROPPED_FLOW_LIMIT("dropped.flow-limit", true),
    /** The flow's upstream socket was still opening and its queue of waiting datagrams was full. */
    DROPPED_FLOW_NOT_READY("dropped.flow-not-ready", true),
    /** The data path threw: a bug, logged (the first few with stack traces). Should stay 0. */
    DROPPED_INTERNAL_ERROR("dropped.internal-error", true),
    /** A routed datagram could not be sent: the send failed, or the flow's upstream socket could not be opened. */
    DROPPED_SEND_FAILED("dropped.send-failed", true),
    /** Sending a server's reply to the client failed (replies are not client datagrams: outside the sum). */
    DROPPED_REPLY_SEND_FAILED("dropped.reply-send-failed", true);

    private final String metricName;
    private final boolean drop;

    ForwarderCounter(String metricName, boolean drop) {
        this.metricName = metricName;
        this.drop = drop;
    }

    /** @return the name used in metrics and /stats */
    public String metricName() {
        return metricName;
    }

    /** @return whether this counts datagrams that were not forwarded */
    public boolean isDrop() {
        return drop;
    }
}
