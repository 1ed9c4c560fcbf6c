package io.quiclb.appliance.health;

import com.codahale.metrics.health.HealthCheck;
import io.quiclb.appliance.QuicLbConfiguration;

/**
 * Healthy when there is something to route with: at least one QUIC-LB configuration and at least one server.
 *
 * <p><b>Thread safety:</b> reads configuration that does not change after startup.
 */
public final class RoutingConfigHealthCheck extends HealthCheck {
    private final QuicLbConfiguration configuration;

    /**
     * @param configuration the validated configuration
     */
    public RoutingConfigHealthCheck(QuicLbConfiguration configuration) {
        this.configuration = configuration;
    }

    @Override
    protected Result check() {
        int configs = configuration.getQuicLb().configs().size();
        int servers = configuration.getServers().size();
        if (configs == 0) {
            return Result.unhealthy("no QUIC-LB config: every CID is unroutable");
        }
        if (servers == 0) {
            return Result.unhealthy("no server to route to");
        }
        return Result.healthy(configs + " config(s), " + servers + " server(s)");
    }
}
