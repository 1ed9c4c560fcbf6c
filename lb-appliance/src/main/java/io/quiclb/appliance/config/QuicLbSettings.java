package io.quiclb.appliance.config;

import io.dropwizard.util.Duration;
import io.dropwizard.validation.MaxDuration;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code quicLb} section: the QUIC-LB configurations the appliance decodes.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param configs            at most one per config ID 0..6
 * @param configIdReuseGrace how long a deleted config ID is held back before the API lets it be used again (clients
 *                           may still hold CIDs of the old config: draft-21 §3.1); default 1h, at most 30 days, 0 to
 *                           never hold one back
 */
public record QuicLbSettings(List<@Valid @NotNull LbConfigEntry> configs,
                             @MaxDuration(value = 30, unit = TimeUnit.DAYS) Duration configIdReuseGrace) {

    /** Fills in defaults. */
    public QuicLbSettings {
        configs = configs == null ? List.of() : List.copyOf(configs);
        configIdReuseGrace = configIdReuseGrace == null ? Duration.hours(1) : configIdReuseGrace;
    }

    /** The configurations, with the default reuse grace. */
    public QuicLbSettings(List<LbConfigEntry> configs) {
        this(configs, null);
    }
}
