package io.quiclb.codec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the packaged codec jar as users do, {@code java -jar lb-codec-<version>.jar ...}, with nothing else on the
 * class path, on the oldest Java the jar promises (17) when that JDK is installed, else on the running Java.
 */
class QuicLbCliJarIT {
    private static final String JAR = System.getProperty("codec.jar");
    private static final String JAVA = System.getProperty("cli.java");

    @Test
    void shouldDecodeFromTheStandaloneJar() throws Exception {
        Process process = start("decode", "--config-id", "0", "--server-id-length", "3", "--nonce-length", "4",
                "--key", "8f95f09245765f80256934e50c66207f", "0720b1d07b359d3c", "e7aabbccddeeff00");
        assertEquals(0, finish(process));
        assertEquals("ed793a\nunroutable config-id-7\n", read(process, true));
    }

    @Test
    void shouldExitTwoWithOneLineOnBadArguments() throws Exception {
        Process process = start("encode", "--config-id", "9", "--server-id", "0a", "--nonce", "01020304");
        assertEquals(2, finish(process));
        assertEquals("", read(process, true));
        assertEquals("error: must be 0..6: configId=9\n", read(process, false));
    }

    private static Process start(String... args) throws IOException {
        assertTrue(JAR != null && new File(JAR).isFile(), "codec jar not built: " + JAR);
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-jar", JAR));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).start();
    }

    private static String javaBinary() {
        if (JAVA != null && Files.isExecutable(Path.of(JAVA))) {
            return JAVA;
        }
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int finish(Process process) throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("java -jar did not finish in 60 s");
        }
        return process.exitValue();
    }

    private static String read(Process process, boolean stdout) throws IOException {
        return new String((stdout ? process.getInputStream() : process.getErrorStream()).readAllBytes(),
                StandardCharsets.UTF_8);
    }
}
