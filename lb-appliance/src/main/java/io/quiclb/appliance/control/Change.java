package io.quiclb.appliance.control;

/**
 * How an operator's change is to be made.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param actor  who asks, for the audit log: the token's role and the client's address
 * @param force  apply it even when it would make live connections unroutable ({@code ?force=true})
 * @param dryRun validate and judge it, but apply nothing ({@code ?dryRun=true})
 */
public record Change(String actor, boolean force, boolean dryRun) {
    /** A change made by the appliance's own code or a test: not forced, applied. */
    public static final Change INTERNAL = new Change("internal", false, false);
}
