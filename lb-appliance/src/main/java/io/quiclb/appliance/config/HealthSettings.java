package io.quiclb.appliance.config;

import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.util.concurrent.TimeUnit;

/**
 * The {@code health} section: QUIC version-negotiation probes of every server and thread socket.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param enabled            whether to probe (default true)
 * @param interval           time between probes of one target (default 1s, at least 100ms)
 * @param timeout            how long to wait for the Version Negotiation reply (default 500ms; less than interval)
 * @param unhealthyThreshold consecutive failures before a server is down (default 3)
 * @param healthyThreshold   consecutive successes before it is up again (default 2)
 * @param panicThreshold     per cent of the servers that are not draining that must answer probes; below it first
 *                           flights go to all of them as if they did (default 50; 0 never panics)
 * @param handshakeAlpn      the ALPN of handshake probes ({@code servers[].probe: handshake}); default h3
 */
public record HealthSettings(
        Boolean enabled,
        @MinDuration(value = 100, unit = TimeUnit.MILLISECONDS) Duration interval,
        @MinDuration(value = 10, unit = TimeUnit.MILLISECONDS) Duration timeout,
        @Min(1) @Max(100) Integer unhealthyThreshold,
        @Min(1) @Max(100) Integer healthyThreshold,
        @Min(0) @Max(100) Integer panicThreshold,
        @jakarta.validation.constraints.Size(min = 1, max = 255) String handshakeAlpn) {

    /** Fills in defaults. */
    public HealthSettings {
        enabled = enabled == null ? Boolean.TRUE : enabled;
        interval = interval == null ? Duration.seconds(1) : interval;
        timeout = timeout == null ? Duration.milliseconds(500) : timeout;
        unhealthyThreshold = unhealthyThreshold == null ? 3 : unhealthyThreshold;
        healthyThreshold = healthyThreshold == null ? 2 : healthyThreshold;
        panicThreshold = panicThreshold == null ? 50 : panicThreshold;
        handshakeAlpn = handshakeAlpn == null ? "h3" : handshakeAlpn;
        if (timeout.toNanoseconds() >= interval.toNanoseconds()) {
            throw new IllegalArgumentException("health.timeout must be less than health.interval: timeout="
                    + timeout + ", interval=" + interval);
        }
    }

    /** Settings with the given timings and thresholds, the rest defaults. */
    public HealthSettings(Boolean enabled, Duration interval, Duration timeout, Integer unhealthyThreshold,
                          Integer healthyThreshold) {
        this(enabled, interval, timeout, unhealthyThreshold, healthyThreshold, null, null);
    }

    /** @return every default */
    public static HealthSettings defaults() {
        return new HealthSettings(null, null, null, null, null, null, null);
    }
}
