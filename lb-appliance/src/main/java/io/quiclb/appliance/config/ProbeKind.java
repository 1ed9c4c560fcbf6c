package io.quiclb.appliance.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How the health prober checks a server ({@code servers[].probe}).
 *
 * <p><b>Thread safety:</b> an enum; immutable.
 */
public enum ProbeKind {
    /**
     * A long header of a reserved version, which a QUIC server answers with Version Negotiation (RFC 9000 §6). Cheap,
     * and no TLS; but answering is only a SHOULD, so some servers never do.
     */
    VERSION_NEGOTIATION("versionNegotiation"),
    /** A real QUIC v1 handshake (TLS 1.3, ALPN {@code health.handshakeAlpn}, certificate not checked), then closed. */
    HANDSHAKE("handshake"),
    /** Not probed: always up. For servers that answer neither, when no liveness signal is wanted. */
    NONE("none");

    private final String configName;

    ProbeKind(String configName) {
        this.configName = configName;
    }

    /**
     * @param text versionNegotiation, handshake or none (any case)
     * @return the kind
     * @throws IllegalArgumentException for anything else
     */
    @JsonCreator
    public static ProbeKind parse(String text) {
        for (ProbeKind kind : values()) {
            if (kind.configName.equalsIgnoreCase(text == null ? "" : text.trim())) {
                return kind;
            }
        }
        throw new IllegalArgumentException("must be versionNegotiation, handshake or none: probe=" + text);
    }

    /** @return the name as written in config.yml and the API */
    @JsonValue
    public String configName() {
        return configName;
    }
}
