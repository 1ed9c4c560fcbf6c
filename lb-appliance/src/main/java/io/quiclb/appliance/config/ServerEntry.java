package io.quiclb.appliance.config;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.util.List;
import java.util.Map;

/**
 * One entry of {@code servers}: a backend host, its server ID in each configuration, and optionally the sockets
 * of its threads (thread ID i is served by {@code threadSockets[i]}).
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param name          unique name, 1..64 of {@code A-Z a-z 0-9 . _ -}
 * @param address       where datagrams for this server go
 * @param serverIds     config ID to server ID in hex
 * @param threadSockets optional: the socket of each of the server's threads, indexed by thread ID
 * @param probe         how the health prober checks it (default versionNegotiation)
 */
public record ServerEntry(
        @NotNull @Pattern(regexp = "[A-Za-z0-9._-]{1,64}", message = "must be 1..64 of A-Z a-z 0-9 . _ -")
        String name,
        @NotNull HostPort address,
        Map<Integer, String> serverIds,
        List<HostPort> threadSockets,
        ProbeKind probe) {

    /** Fills in defaults. */
    public ServerEntry {
        if (serverIds != null
                && serverIds.entrySet().stream().anyMatch(e -> e.getKey() == null || e.getValue() == null)) {
            throw new IllegalArgumentException("serverIds: must map config IDs to server IDs in hex, without nulls: "
                    + serverIds);
        }
        if (threadSockets != null && threadSockets.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("threadSockets: must not hold null: " + threadSockets);
        }
        serverIds = serverIds == null ? Map.of() : Map.copyOf(serverIds);
        threadSockets = threadSockets == null ? List.of() : List.copyOf(threadSockets);
        probe = probe == null ? ProbeKind.VERSION_NEGOTIATION : probe;
    }

    /** A server probed with Version Negotiation. */
    public ServerEntry(String name, HostPort address, Map<Integer, String> serverIds, List<HostPort> threadSockets) {
        this(name, address, serverIds, threadSockets, null);
    }

    /**
     * @param serverIds the server IDs this entry has from now on
     * @return this entry with them
     */
    public ServerEntry withServerIds(Map<Integer, String> serverIds) {
        return new ServerEntry(name, address, serverIds, threadSockets, probe);
    }
}
