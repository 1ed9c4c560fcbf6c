package io.quiclb.appliance.health;

import com.codahale.metrics.health.HealthCheck;
import io.quiclb.appliance.forward.Forwarder;

/**
 * Healthy while every listener socket of every worker is bound.
 *
 * <p><b>Thread safety:</b> reads the forwarder's state, which is safe from any thread.
 */
public final class ForwarderHealthCheck extends HealthCheck {
    private final Forwarder forwarder;

    /**
     * @param forwarder the forwarder
     */
    public ForwarderHealthCheck(Forwarder forwarder) {
        this.forwarder = forwarder;
    }

    @Override
    protected Result check() {
        if (!forwarder.isBound()) {
            return Result.unhealthy("forwarder listeners are not bound");
        }
        return Result.healthy("listening on " + forwarder.boundAddresses() + " with " + forwarder.transport());
    }
}
