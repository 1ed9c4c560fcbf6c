package io.quiclb.appliance.api;

import io.quiclb.appliance.input.ApiRequest;
import jakarta.validation.constraints.NotNull;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code PUT /api/v1/servers/{name}}; {@code PATCH} takes a JSON Merge Patch of it. No other field is
 * accepted.
 *
 * @param address       {@code host:port} its datagrams go to
 * @param serverIds     config ID → server ID in hex
 * @param threadSockets optional: thread ID i → {@code host:port} i
 * @param probe         optional: versionNegotiation (default), handshake or none
 */
public record ServerRequest(@NotNull String address, Map<Integer, String> serverIds, List<String> threadSockets,
                            String probe) implements ApiRequest {
}
