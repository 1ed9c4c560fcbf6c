package io.quiclb.appliance.control;

import java.io.IOException;

/**
 * The routing state whose configs and server IDs servers may be given ({@code GET /servers/{name}/encoder}): on one
 * appliance the state in force; in a fleet only what every live appliance has applied (draft-21 §3.1: load balancers
 * get a config before servers use it).
 *
 * <p><b>Thread safety:</b> implementations are called from request threads and must be thread-safe.
 */
@FunctionalInterface
public interface EncoderState {
    /**
     * @return the state servers may be given
     * @throws IOException when it cannot be known now (the fleet store is out of reach)
     */
    RoutingState offered() throws IOException;
}
