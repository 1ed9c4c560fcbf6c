package io.quiclb.appliance.config;

import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code forwarder} section: the UDP data plane.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param transport       auto, io_uring, epoll or nio (default auto)
 * @param workers         event loops, each with its own socket per listener (default 2)
 * @param listeners       addresses clients send to (default 127.0.0.1:4433)
 * @param flowIdleTimeout a NAT flow without datagrams for this long is closed (default 60s)
 * @param maxFlows        flows held at most; past it new flows are dropped and counted (default 1,000,000)
 * @param maxDatagramSize receive buffer per datagram; a datagram that fills it may be truncated and is dropped
 *                        (default 2048, at least 1200, the smallest datagram every QUIC path must carry)
 * @param gso             send runs of equal-size datagrams of one flow as one UDP GSO send when the transport can
 *                        (epoll); default true
 * @param gro             let the kernel coalesce a client's back-to-back equal-size datagrams into one receive (UDP
 *                        GRO) when the transport can (epoll); default false (see docs/configuration.md)
 */
public record ForwarderSettings(
        TransportKind transport,
        @Min(1) @Max(256) Integer workers,
        @NotEmpty List<@NotNull HostPort> listeners,
        @MinDuration(value = 1, unit = TimeUnit.SECONDS) Duration flowIdleTimeout,
        @Min(1) Long maxFlows,
        @Min(1201) @Max(65536) Integer maxDatagramSize,
        Boolean gso,
        Boolean gro) {

    /** Fills in defaults. */
    public ForwarderSettings {
        transport = transport == null ? TransportKind.AUTO : transport;
        workers = workers == null ? 2 : workers;
        listeners = listeners == null ? List.of(HostPort.parse("127.0.0.1:4433")) : listeners;
        flowIdleTimeout = flowIdleTimeout == null ? Duration.seconds(60) : flowIdleTimeout;
        maxFlows = maxFlows == null ? 1_000_000L : maxFlows;
        maxDatagramSize = maxDatagramSize == null ? 2048 : maxDatagramSize;
        gso = gso == null ? Boolean.TRUE : gso;
        gro = gro == null ? Boolean.FALSE : gro;
    }

    /** The settings without the GSO and GRO switches: GSO on, GRO off. */
    public ForwarderSettings(TransportKind transport, Integer workers, List<HostPort> listeners,
                             Duration flowIdleTimeout, Long maxFlows, Integer maxDatagramSize) {
        this(transport, workers, listeners, flowIdleTimeout, maxFlows, maxDatagramSize, null, null);
    }

    /** @return every default */
    public static ForwarderSettings defaults() {
        return new ForwarderSettings(null, null, null, null, null, null, null, null);
    }
}
