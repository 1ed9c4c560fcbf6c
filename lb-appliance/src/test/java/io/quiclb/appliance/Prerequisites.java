package io.quiclb.appliance;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a system test needs from the machine (root, a network namespace, gcc, prlimit). Where it is missing the test
 * is skipped with the reason; in CI ({@code QUICLB_REQUIRE_SYSTEM_TESTS=1}, set by .ci/run, which installs what a
 * fresh machine lacks) it fails instead, so a missing install step cannot pass unnoticed.
 */
public final class Prerequisites {
    private Prerequisites() {
    }

    /**
     * @param met    whether the machine has it
     * @param reason what is missing and how to get it
     */
    public static void require(boolean met, String reason) {
        if (met) {
            return;
        }
        if ("1".equals(System.getenv("QUICLB_REQUIRE_SYSTEM_TESTS"))) {
            Assertions.fail(reason + " (QUICLB_REQUIRE_SYSTEM_TESTS=1: .ci/run should have provided it)");
        }
        Assumptions.abort(reason);
    }
}
