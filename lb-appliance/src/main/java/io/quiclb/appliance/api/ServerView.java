package io.quiclb.appliance.api;

import java.util.List;
import java.util.Map;

/**
 * A server as the API shows it.
 *
 * @param name          its name
 * @param address       where its datagrams go
 * @param serverIds     config ID → server ID in hex
 * @param threadSockets thread ID i → socket i
 * @param draining      whether it takes no new first flights
 * @param healthy       whether its address answers health probes (true until probed otherwise)
 * @param threadSocketsDown thread IDs whose sockets leave health probes unanswered (they take no new first flights)
 * @param forwarded     datagrams forwarded to it since the server entry was created with these addresses
 * @param probe         how the health prober checks it: versionNegotiation, handshake or none
 */
public record ServerView(String name, String address, Map<Integer, String> serverIds, List<String> threadSockets,
                         boolean draining, boolean healthy, List<Integer> threadSocketsDown, long forwarded,
                         String probe) {
}
