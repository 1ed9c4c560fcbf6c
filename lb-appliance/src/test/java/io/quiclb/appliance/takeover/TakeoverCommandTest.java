package io.quiclb.appliance.takeover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line SIGHUP starts a takeover with: this process's own, {@code server} replaced. */
class TakeoverCommandTest {
    @Test
    void shouldReplaceServerAndLeaveTheAotRecordingToThisProcess() {
        assertEquals(List.of("/jdk/bin/java", "-Xmx2g", "-XX:AOTCache=/var/lib/quiclb/quiclb.aot", "-jar", "q.jar",
                        "takeover", "config.yml"),
                TakeoverHost.takeoverCommand(List.of("/jdk/bin/java", "-Xmx2g",
                        "-XX:AOTCache=/var/lib/quiclb/quiclb.aot", "-jar", "q.jar", "server", "config.yml")));
        assertEquals(List.of("/jdk/bin/java", "-jar", "q.jar", "takeover", "config.yml"),
                TakeoverHost.takeoverCommand(List.of("/jdk/bin/java", "-XX:AOTCacheOutput=/var/lib/quiclb/quiclb.aot",
                        "-jar", "q.jar", "server", "config.yml")), "one writer of the cache: the running process");
        assertEquals(List.of("/jdk/bin/java", "-jar", "q.jar", "takeover", "-XX:AOTCacheOutput=x"),
                TakeoverHost.takeoverCommand(List.of("/jdk/bin/java", "-jar", "q.jar", "takeover",
                        "-XX:AOTCacheOutput=x")), "arguments after the command are the application's");
        assertNull(TakeoverHost.takeoverCommand(List.of("/jdk/bin/java", "-jar", "q.jar", "check", "config.yml")));
    }
}
