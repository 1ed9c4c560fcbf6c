package io.quiclb.appliance.control;

/** A store for tests of the control plane that writes nothing and counts revisions. */
final class CountingBackend implements StateBackend {
    @Override
    public long write(long expected, RoutingState next) {
        return expected + 1;
    }

    @Override
    public String describe() {
        return "counting";
    }
}
