package io.quiclb.appliance.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Which Netty transport carries datagrams ({@code forwarder.transport}).
 *
 * <p><b>Thread safety:</b> an enum; immutable.
 */
public enum TransportKind {
    /** epoll when available (measured fastest), else io_uring, else NIO; the reason for each fallback is logged. */
    AUTO,
    /** Linux io_uring. */
    IO_URING,
    /** Linux epoll, with recvmmsg batching. */
    EPOLL,
    /** Java NIO; no SO_REUSEPORT, so one worker per listener address. */
    NIO;

    /**
     * @param text auto, io_uring, epoll or nio (any case)
     * @return the kind
     * @throws IllegalArgumentException for anything else
     */
    @JsonCreator
    public static TransportKind parse(String text) {
        for (TransportKind kind : values()) {
            if (kind.name().equalsIgnoreCase(text == null ? "" : text.trim())) {
                return kind;
            }
        }
        throw new IllegalArgumentException("must be auto, io_uring, epoll or nio: transport=" + text);
    }

    /** @return the name as written in config.yml */
    @JsonValue
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
