package io.quiclb.appliance.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import java.util.List;

/**
 * The {@code quicLb} section: the QUIC-LB configurations the appliance decodes.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param configs at most one per config ID 0..6
 */
public record QuicLbSettings(List<@Valid @NotNull LbConfigEntry> configs) {

    /** Fills in defaults. */
    public QuicLbSettings {
        configs = configs == null ? List.of() : List.copyOf(configs);
    }
}
