package io.quiclb.appliance.api;

import io.quiclb.appliance.input.ApiRequest;
import jakarta.validation.constraints.NotNull;

/**
 * The body of {@code PUT /api/v1/configs/{configId}}; {@code PATCH} takes a JSON Merge Patch of it. No other field
 * is accepted.
 *
 * @param serverIdLength    octets of server ID, 1..15
 * @param nonceLength       octets of nonce, 4..18
 * @param threadIdLength    octets of thread ID, 0..2 (default 0)
 * @param lengthSelfEncoded whether servers encode the CID length (default true)
 * @param key               32 hex digits, or absent for plaintext
 */
public record ConfigRequest(@NotNull Integer serverIdLength, @NotNull Integer nonceLength, Integer threadIdLength,
                            Boolean lengthSelfEncoded, String key) implements ApiRequest {
    @Override
    public String toString() {
        return "ConfigRequest{serverIdLength=" + serverIdLength + ", nonceLength=" + nonceLength + ", threadIdLength="
                + threadIdLength + ", lengthSelfEncoded=" + lengthSelfEncoded + ", key="
                + (key == null ? "none" : "[REDACTED]") + '}';
    }
}
