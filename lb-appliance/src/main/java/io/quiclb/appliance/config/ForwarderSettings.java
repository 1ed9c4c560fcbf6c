package io.quiclb.appliance.config;

import io.dropwizard.util.Duration;
import io.dropwizard.validation.MaxDuration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code forwarder} section: the UDP data plane. Every key is described in docs/configuration.md.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param transport                  auto, io_uring, epoll or nio (default auto)
 * @param workers                    event loops, each with its own socket per listener (default 2)
 * @param listeners                  addresses clients send to (default 127.0.0.1:4433)
 * @param flowIdleTimeout            a confirmed NAT flow without datagrams for this long is closed (default 60s)
 * @param maxFlows                   flows held at most; lowered to what the machine allows (default 1,000,000)
 * @param maxDatagramSize            receive buffer per datagram; a datagram that fills it may be truncated and is
 *                                   dropped (default 2048, at least 1201)
 * @param gso                        send runs of equal-size datagrams of one flow as one UDP GSO send when the
 *                                   transport can (epoll); default true
 * @param gro                        UDP GRO receives on the listeners when the transport can (epoll); default false
 * @param unconfirmedFlowIdleTimeout an unconfirmed flow without a client datagram for this long is closed (default
 *                                   5s, or flowIdleTimeout when that is shorter; at most flowIdleTimeout)
 * @param maxHandshakes              unconfirmed flows opened by unroutable DCIDs at most (default: a quarter of
 *                                   the effective flow limit)
 * @param maxHandshakesPerPrefix     of those, per source /24 (IPv4) or /64 (IPv6) at most; 0 for no bound (default)
 * @param upstreamSources            source addresses of upstream sockets, each with its own local port range
 *                                   (default none: the wildcard, the kernel picks the source)
 * @param handoverSocket             the Unix socket over which a {@code takeover} receives this appliance's listener
 *                                   sockets (default: {@code quiclb-handover.sock} beside {@code api.stateFile})
 * @param drainTimeout               after a takeover, how long the old process keeps relaying replies of its flows at
 *                                   most before it exits (default 30s)
 * @param warmUp                     how long the data path runs on loopback traffic before the listeners open, so it
 *                                   is compiled before the first client datagram; 0 for none (default
 *                                   {@value #DEFAULT_WARM_UP_MILLIS} ms, at most 60s)
 */
public record ForwarderSettings(
        TransportKind transport,
        @Min(1) @Max(256) Integer workers,
        @NotEmpty List<@NotNull HostPort> listeners,
        @MinDuration(value = 1, unit = TimeUnit.SECONDS) Duration flowIdleTimeout,
        @Min(1) Long maxFlows,
        @Min(1201) @Max(65536) Integer maxDatagramSize,
        Boolean gso,
        Boolean gro,
        @MinDuration(value = 100, unit = TimeUnit.MILLISECONDS) Duration unconfirmedFlowIdleTimeout,
        @Min(1) Long maxHandshakes,
        @Min(0) Integer maxHandshakesPerPrefix,
        List<@NotNull String> upstreamSources,
        String handoverSocket,
        @MinDuration(value = 0, unit = TimeUnit.SECONDS) Duration drainTimeout,
        @MinDuration(value = 0, unit = TimeUnit.SECONDS) @MaxDuration(value = 60, unit = TimeUnit.SECONDS)
        Duration warmUp) {

    /** Default of {@code warmUp}, in milliseconds. */
    public static final long DEFAULT_WARM_UP_MILLIS = 2000;
    private static final Duration DEFAULT_WARM_UP = Duration.milliseconds(DEFAULT_WARM_UP_MILLIS);

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
        if (unconfirmedFlowIdleTimeout == null) {
            unconfirmedFlowIdleTimeout = flowIdleTimeout.toNanoseconds() < Duration.seconds(5).toNanoseconds()
                    ? flowIdleTimeout : Duration.seconds(5);
        }
        maxHandshakesPerPrefix = maxHandshakesPerPrefix == null ? 0 : maxHandshakesPerPrefix;
        upstreamSources = upstreamSources == null ? List.of() : List.copyOf(upstreamSources);
        drainTimeout = drainTimeout == null ? Duration.seconds(30) : drainTimeout;
        warmUp = warmUp == null ? DEFAULT_WARM_UP : warmUp;
    }

    /** The settings without the GSO and GRO switches: GSO on, GRO off. */
    public ForwarderSettings(TransportKind transport, Integer workers, List<HostPort> listeners,
                             Duration flowIdleTimeout, Long maxFlows, Integer maxDatagramSize) {
        this(transport, workers, listeners, flowIdleTimeout, maxFlows, maxDatagramSize, null, null);
    }

    /** The settings with the flood guard's defaults. */
    public ForwarderSettings(TransportKind transport, Integer workers, List<HostPort> listeners,
                             Duration flowIdleTimeout, Long maxFlows, Integer maxDatagramSize, Boolean gso,
                             Boolean gro) {
        this(transport, workers, listeners, flowIdleTimeout, maxFlows, maxDatagramSize, gso, gro, null, null, null,
                null, null, null, null);
    }

    /**
     * @param stateFile api.stateFile
     * @return the handover socket's path: {@code handoverSocket}, or {@code quiclb-handover.sock} beside the state
     *         file
     */
    public java.nio.file.Path handoverSocketPath(String stateFile) {
        return handoverSocket != null ? java.nio.file.Path.of(handoverSocket)
                : java.nio.file.Path.of(stateFile).toAbsolutePath().resolveSibling("quiclb-handover.sock");
    }

    /**
     * @param bound listeners to use instead (a takeover: the running appliance's as bound, so port 0 becomes the
     *              port it got)
     * @return these settings with those listeners
     */
    public ForwarderSettings withListeners(List<HostPort> bound) {
        return new ForwarderSettings(transport, workers, bound, flowIdleTimeout, maxFlows, maxDatagramSize, gso, gro,
                unconfirmedFlowIdleTimeout, maxHandshakes, maxHandshakesPerPrefix, upstreamSources, handoverSocket,
                drainTimeout, warmUp);
    }

    /** @return every default */
    public static ForwarderSettings defaults() {
        return new ForwarderSettings(null, null, null, null, null, null, null, null);
    }

    /**
     * The rules that span keys of the section, each problem a line naming the key, the rule and the value.
     *
     * @return every problem; empty when the section is consistent
     */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (unconfirmedFlowIdleTimeout.toNanoseconds() > flowIdleTimeout.toNanoseconds()) {
            problems.add("forwarder.unconfirmedFlowIdleTimeout: must be at most flowIdleTimeout ("
                    + flowIdleTimeout + "): unconfirmedFlowIdleTimeout=" + unconfirmedFlowIdleTimeout);
        }
        for (int i = 0; i < upstreamSources.size(); i++) {
            String source = upstreamSources.get(i);
            String path = "forwarder.upstreamSources[" + i + "]";
            InetAddress address;
            try {
                address = InetAddress.ofLiteral(source);
            } catch (IllegalArgumentException | NullPointerException e) {
                problems.add(path + ": must be an IP address literal: " + source);
                continue;
            }
            if (address.isAnyLocalAddress() || address.isMulticastAddress()) {
                problems.add(path + ": must be a unicast address of this host, not a wildcard or multicast: "
                        + source);
            } else if (upstreamSources.subList(0, i).stream().anyMatch(other -> sameAddress(other, address))) {
                problems.add(path + ": must be unique: " + source);
            }
        }
        return problems;
    }

    /**
     * @return the listener sockets each worker opens at startup: one per listener address; for a wildcard, its own
     *         and one per address of the host's interfaces of its family ({@link HostInterfaces})
     */
    public int listenerSocketsPerWorker() {
        int sockets = 0;
        for (HostPort listener : listeners) {
            InetAddress address = listener.resolve().getAddress();
            sockets++;
            if (address.isAnyLocalAddress()) {
                sockets += HostInterfaces.addresses(address instanceof Inet6Address).size();
            }
        }
        return sockets;
    }

    /** @return the upstream source addresses, parsed (validated by {@link #problems()}) */
    public List<InetAddress> upstreamSourceAddresses() {
        return upstreamSources.stream().map(InetAddress::ofLiteral).toList();
    }

    private static boolean sameAddress(String text, InetAddress address) {
        try {
            return InetAddress.ofLiteral(text).equals(address);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
