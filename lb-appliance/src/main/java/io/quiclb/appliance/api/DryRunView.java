package io.quiclb.appliance.api;

import java.util.List;

/**
 * The answer to a change made with {@code ?dryRun=true}: the state it would make, applied nowhere.
 *
 * <p><b>Thread safety:</b> immutable once built (Jackson serializes it once).
 *
 * @param dryRun     always true
 * @param wouldBreak what it would break that {@code ?force=true} allows (empty when nothing; without force such a
 *                   change answers 409 instead)
 * @param configs    every configuration it would leave
 * @param servers    every server it would leave
 */
public record DryRunView(boolean dryRun, List<String> wouldBreak, List<ConfigView> configs,
                         List<ServerView> servers) {
}
