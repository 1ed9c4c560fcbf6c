package io.quiclb.appliance.demo;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * ngtcp2's HTTP/3 client ({@code gtlsclient}, Debian package ngtcp2-client) for interop tests: where it is, whether a
 * test may run without it, and what its debug log says.
 *
 * <p>{@code .ci/run} installs ngtcp2-client and sets {@code QUICLB_REQUIRE_INTEROP=1}, which turns a missing client into
 * a failure; elsewhere a test without it is skipped.
 */
final class Gtlsclient {
    static final Path PATH = Path.of("/usr/bin/gtlsclient");
    private static final Pattern SHORT_HEADER_DCID = Pattern.compile("pkt tx pkn=\\d+ dcid=0x([0-9a-f]+) type=1RTT");

    private Gtlsclient() {
    }

    /** Fails (under {@code QUICLB_REQUIRE_INTEROP=1}) or skips the calling test when the client is missing. */
    static void requirePresent() {
        if (!Files.isExecutable(PATH)) {
            if ("1".equals(System.getenv("QUICLB_REQUIRE_INTEROP"))) {
                fail(PATH + " is missing: apt-get install ngtcp2-client");
            }
            Assumptions.abort(PATH + " is missing (apt-get install ngtcp2-client); .ci/run installs it");
        }
    }

    /** @return the DCIDs (hex) of the short headers the client sent, each once, in the order first sent */
    static List<String> shortHeaderDcids(String log) {
        LinkedHashSet<String> found = new LinkedHashSet<>();
        Matcher matcher = SHORT_HEADER_DCID.matcher(log);
        while (matcher.find()) {
            found.add(matcher.group(1));
        }
        return new ArrayList<>(found);
    }

    /** @return the end of a log, for an assertion message */
    static String tail(String log) {
        return log.length() <= 3000 ? log : log.substring(log.length() - 3000);
    }
}
