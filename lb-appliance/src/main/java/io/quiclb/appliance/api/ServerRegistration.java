package io.quiclb.appliance.api;

import io.quiclb.appliance.input.ApiRequest;
import jakarta.validation.constraints.NotNull;
import java.util.List;

/**
 * The body of {@code POST /api/v1/servers}: a server that registers itself and is given the next free server ID in
 * every config. No other field is accepted (server IDs are the appliance's to give).
 *
 * @param name          its name: 1..64 of A-Z a-z 0-9 . _ -
 * @param address       {@code host:port} its datagrams go to
 * @param threadSockets optional: thread ID i → {@code host:port} i
 * @param probe         optional: versionNegotiation (default), handshake or none
 */
public record ServerRegistration(@NotNull String name, @NotNull String address, List<String> threadSockets,
                                 String probe) implements ApiRequest {
}
