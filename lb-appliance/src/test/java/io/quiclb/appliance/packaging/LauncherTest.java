package io.quiclb.appliance.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.QuicLbApplication;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launchers {@code bin/quiclb} and {@code bin/quiclb-codec} as an operator runs them: which java they pick
 * ({@code JAVA_HOME} when new enough, then the JDK homes of {@code QUICLB_JDK_CANDIDATES}, then {@code java} on
 * {@code PATH}), the one line they print when there is none, and a real {@code bin/quiclb check config.yml} on the
 * shipped config.yml. The packaged jar does not exist yet when this runs (surefire runs before {@code package}), so
 * {@code QUICLB_JAR} names a jar made here whose manifest has the appliance's main class and this test's class path;
 * the launcher runs it with {@code java -jar} as it runs the real one. Old and new JDKs are faked by scripts that
 * print a {@code java -version} banner, and the no-JDK cases run with a {@code PATH} holding only bash and such a
 * script, so what is installed on this machine does not change the outcome.
 */
class LauncherTest {
    private static final Path REPO = Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
            .toAbsolutePath().getParent();
    private static final Path QUICLB = REPO.resolve("bin/quiclb");
    private static final Path QUICLB_CODEC = REPO.resolve("bin/quiclb-codec");

    @TempDir
    Path temp;

    private record Run(int exit, String out, String err) {
    }

    @Test
    void shouldSkipAJavaHomeOlderThan25AndRunCheckOnTheShippedConfig() throws Exception {
        Path old = fakeJdk("jdk17", "17.0.2");
        Path jar = manifestJar();
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("JAVA_HOME", old.toString());
        env.put("QUICLB_JDK_CANDIDATES", temp.resolve("no-such-jdk") + ":" + System.getProperty("java.home"));
        env.put("QUICLB_JAR", jar.toString());
        env.put("QUICLB_JAVA_OPTS", "-XshowSettings:properties -Dquiclb.launcher.test=two-options");
        env.remove("QUICLB_PRINT_JAVA");
        Run run = run(List.of(QUICLB.toString(), "check", "config.yml"), env);
        assertEquals(0, run.exit(), run.err() + run.out());
        assertTrue(run.out().contains("Configuration is OK"), run.out());
        // -XshowSettings prints the JVM's properties on stderr: both options arrived, in the JDK 25 it chose.
        assertTrue(run.err().contains("quiclb.launcher.test = two-options"), run.err());
        assertTrue(run.err().contains("java.home = " + System.getProperty("java.home")), run.err());
        assertFalse(Files.exists(old.resolve("ran")), "the JDK 17 in JAVA_HOME ran the jar");
    }

    @Test
    void shouldPreferJavaHomeThenTheCandidatesThenPath() throws Exception {
        Path home25 = fakeJdk("home25", "25.0.1");
        Path candidate25 = fakeJdk("candidate25", "25");
        Path path25 = fakeJdk("path25", "25.0.2");
        addBash(path25.resolve("bin"));
        Path old = fakeJdk("jdk11", "11.0.24");

        Map<String, String> env = printJava(home25, temp.resolve("none") + ":" + candidate25, null);
        assertEquals(home25.resolve("bin/java").toString(), run(List.of(QUICLB.toString()), env).out().strip());

        env = printJava(old, temp.resolve("none") + ":" + candidate25, null);
        assertEquals(candidate25.resolve("bin/java").toString(), run(List.of(QUICLB.toString()), env).out().strip());

        env = printJava(null, "", path25.resolve("bin"));
        assertEquals(path25.resolve("bin/java").toString(), run(List.of(QUICLB.toString()), env).out().strip());
        for (Path jdk : List.of(home25, candidate25, path25, old)) {
            assertFalse(Files.exists(jdk.resolve("ran")), jdk + " ran something other than -version");
        }
    }

    @Test
    void shouldExitWithOneLineSayingHowToInstallWhenNoJdk25IsFound() throws Exception {
        Path home17 = fakeJdk("home17", "17.0.2");
        Path path17 = fakeJdk("path17", "17.0.15");
        addBash(path17.resolve("bin"));
        Map<String, String> env = new HashMap<>();
        env.put("PATH", path17.resolve("bin").toString());
        env.put("JAVA_HOME", home17.toString());
        env.put("QUICLB_JDK_CANDIDATES", temp.resolve("no-such-jdk").toString());
        env.put("QUICLB_JAR", manifestJar().toString());
        Run run = run(List.of(QUICLB.toString(), "check", "config.yml"), env);
        assertEquals(1, run.exit(), run.err() + run.out());
        assertEquals("", run.out());
        List<String> lines = run.err().lines().toList();
        assertEquals(1, lines.size(), run.err());
        String line = lines.get(0);
        assertTrue(line.startsWith("quiclb: needs Java 25 or later"), line);
        assertTrue(line.contains(home17.resolve("bin/java") + ": 17"), line);
        assertTrue(line.contains(path17.resolve("bin/java") + ": 17"), line);
        assertTrue(line.contains("apt-get install temurin-25-jdk") && line.contains("https://adoptium.net"), line);
        assertFalse(Files.exists(home17.resolve("ran")) || Files.exists(path17.resolve("ran")), "a JDK 17 ran");
    }

    @Test
    void shouldRecordAnAotCacheUntilOneForThisJarAndJvmExistsThenStartFromIt() throws Exception {
        Path jdk = fakeJdk("home25", "25.0.1");
        Path jar = temp.resolve("quiclb.jar");
        Files.writeString(jar, "not read by the fake java");
        Path cache = temp.resolve("quiclb.aot");
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv("PATH"));
        env.put("JAVA_HOME", jdk.toString());
        env.put("QUICLB_JDK_CANDIDATES", "");
        env.put("QUICLB_JAR", jar.toString());

        run(List.of(QUICLB.toString(), "server", "config.yml"), env);
        assertEquals("--sun-misc-unsafe-memory-access=allow -XX:MetaspaceSize=128m -jar " + jar + " server config.yml",
                Files.readString(jdk.resolve("ran")).strip(), "unset: no AOT option");

        env.put("QUICLB_AOT_CACHE", cache.toString());
        run(List.of(QUICLB.toString(), "server", "config.yml"), env);
        assertTrue(Files.readString(jdk.resolve("ran")).contains(" -XX:AOTCacheOutput=" + cache + " "),
                "no cache yet: recorded from this run");
        assertTrue(Files.readString(temp.resolve("quiclb.aot.key")).contains(jar.toString()), "what it is for");

        Files.writeString(cache, "a cache, as the JVM writes it when the recording run stops");
        run(List.of(QUICLB.toString(), "server", "config.yml"), env);
        assertTrue(Files.readString(jdk.resolve("ran")).contains(" -XX:AOTCache=" + cache + " "), "started from it");

        Files.writeString(jar, "another build of the jar, as after an upgrade");
        run(List.of(QUICLB.toString(), "server", "config.yml"), env);
        assertTrue(Files.readString(jdk.resolve("ran")).contains(" -XX:AOTCacheOutput=" + cache + " "),
                "a cache of another jar is recorded again");
        assertFalse(Files.exists(cache), "and the old one removed, so a recording run that writes nothing leaves none");

        env.put("QUICLB_AOT_CACHE", temp.resolve("no-such-directory/quiclb.aot").toString());
        Run refused = run(List.of(QUICLB.toString(), "server", "config.yml"), env);
        assertEquals(1, refused.exit());
        assertTrue(refused.err().contains("QUICLB_AOT_CACHE=" + temp.resolve("no-such-directory/quiclb.aot")
                + ": cannot write there"), refused.err());
    }

    @Test
    void shouldRunTheCodecOnJava17ButNotOlder() throws Exception {
        Path home17 = fakeJdk("home17", "17.0.2");
        Path path8 = fakeJdk("path8", "1.8.0_412");
        addBash(path8.resolve("bin"));
        Map<String, String> env = printJava(home17, "", path8.resolve("bin"));
        Run run = run(List.of(QUICLB_CODEC.toString()), env);
        assertEquals(0, run.exit(), run.err());
        assertEquals(home17.resolve("bin/java").toString(), run.out().strip());

        env = printJava(null, "", path8.resolve("bin"));
        run = run(List.of(QUICLB_CODEC.toString()), env);
        assertEquals(1, run.exit(), run.err() + run.out());
        assertTrue(run.err().startsWith("quiclb-codec: needs Java 17 or later")
                && run.err().contains(path8.resolve("bin/java") + ": 8"), run.err());
    }

    /** The environment of a {@code QUICLB_PRINT_JAVA=1} run; a null home or path leaves it unset / minimal. */
    private Map<String, String> printJava(Path javaHome, String candidates, Path pathDirectory) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", pathDirectory == null ? System.getenv("PATH") : pathDirectory.toString());
        if (javaHome != null) {
            env.put("JAVA_HOME", javaHome.toString());
        }
        env.put("QUICLB_JDK_CANDIDATES", candidates);
        env.put("QUICLB_PRINT_JAVA", "1");
        return env;
    }

    /**
     * A JDK home whose {@code bin/java} prints the banner of {@code version} for {@code -version}, and for anything
     * else leaves a file named {@code ran} in the home and fails.
     */
    private Path fakeJdk(String name, String version) throws IOException {
        Path home = temp.resolve(name);
        Path java = home.resolve("bin/java");
        Files.createDirectories(java.getParent());
        Files.writeString(java, String.join("\n",
                "#!/bin/sh",
                "if [ \"$1\" = -version ]; then",
                "  echo 'openjdk version \"" + version + "\" 2025-01-01' >&2",
                "  echo 'OpenJDK Runtime Environment (build " + version + "+1)' >&2",
                "  exit 0",
                "fi",
                "echo \"$*\" > '" + home.resolve("ran") + "'",
                "exit 3",
                ""), StandardCharsets.UTF_8);
        assertTrue(java.toFile().setExecutable(true));
        return home;
    }

    /** Puts a bash in a directory, so that a PATH of that directory alone still starts the launcher (env bash). */
    private static void addBash(Path directory) throws IOException {
        Path bash = directory.resolve("bash");
        Files.writeString(bash, "#!/bin/sh\nexec " + Path.of("/bin/bash").toRealPath() + " \"$@\"\n",
                StandardCharsets.UTF_8);
        assertTrue(bash.toFile().setExecutable(true));
    }

    /** A jar like the shaded one to {@code java -jar}: the main class, and this test's class path in its manifest. */
    private Path manifestJar() throws IOException {
        Path jar = temp.resolve("lb-appliance-test.jar");
        if (Files.exists(jar)) {
            return jar;
        }
        StringBuilder classPath = new StringBuilder();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                classPath.append(classPath.isEmpty() ? "" : " ").append(Path.of(entry).toAbsolutePath().toUri());
            }
        }
        Manifest manifest = new Manifest();
        Attributes attributes = manifest.getMainAttributes();
        attributes.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        attributes.put(Attributes.Name.MAIN_CLASS, QuicLbApplication.class.getName());
        attributes.put(Attributes.Name.CLASS_PATH, classPath.toString());
        attributes.put(new Attributes.Name("Enable-Native-Access"), "ALL-UNNAMED");
        try (OutputStream out = Files.newOutputStream(jar)) {
            new JarOutputStream(out, manifest).finish();
        }
        return jar;
    }

    /** Runs a command in the repository root with exactly {@code env}; at most 120 s, then killed by its PID. */
    private Run run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        Path out = Files.createTempFile(temp, "out", ".txt");
        Path err = Files.createTempFile(temp, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(REPO.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        builder.environment().clear();
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            List<ProcessHandle> descendants = process.descendants().toList();
            ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
            descendants.forEach(ProcessHandle::destroyForcibly);
            process.waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(command + " did not finish in 120 s:\n" + Files.readString(out)
                    + Files.readString(err));
        }
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    }
}
