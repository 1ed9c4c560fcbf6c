package io.quiclb.appliance.api;

/**
 * How the appliance would route a DCID now.
 *
 * @param cid      the DCID, hex
 * @param routable whether it decodes to a server
 * @param reason   why not, when not routable: config-id-7, unknown-config, cid-too-short or no-server-for-sid
 * @param configId its config ID
 * @param serverId the decoded server ID in hex, or null
 * @param threadId the decoded thread ID, or null
 * @param server   the server's name, or null
 * @param target   where datagrams with this DCID go, or null
 */
public record WhoamiView(String cid, boolean routable, String reason, int configId, String serverId,
                         Integer threadId, String server, String target) {
}
