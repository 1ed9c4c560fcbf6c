package io.quiclb.appliance.control;

import java.util.List;

/**
 * What a change did, or would do on a dry run.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param state   the state in force after it (on a dry run: the state it would make)
 * @param applied whether it was applied (false on a dry run, and when it changed nothing)
 * @param forced  what it breaks that {@code ?force=true} allowed (on a dry run with force: what it would break)
 */
public record ChangeResult(RoutingState state, boolean applied, List<String> forced) {
    /** Copies the list. */
    public ChangeResult {
        forced = List.copyOf(forced);
    }
}
