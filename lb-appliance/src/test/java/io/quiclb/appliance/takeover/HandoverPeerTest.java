package io.quiclb.appliance.takeover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.Prerequisites;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only the appliance's own user (or root) may take it over, whatever the handover socket's file mode: a process of
 * another user that manages to connect is refused by its peer credentials, and nothing is offered. A takeover that
 * speaks another version of the handover is refused with what to do instead.
 */
class HandoverPeerTest {
    @TempDir
    Path directory;

    @Test
    void shouldRefuseAProcessOfAnotherUser() throws Exception {
        Prerequisites.require((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0
                && Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "runs a client as another user: root and setpriv (apt-get install util-linux)");
        AtomicInteger offers = new AtomicInteger();
        Path socket = directory.resolve("handover.sock");
        try (HandoverServer server = HandoverServer.listen(socket, new HandoverServer.Handoff() {
            @Override
            public HandoverServer.Offer offer(long pid) {
                offers.incrementAndGet();
                return new HandoverServer.Offer(List.of(), List.of(), 1);
            }

            @Override
            public HandoverServer.FlowOffer handOver(int workers) {
                throw new AssertionError("never asked");
            }

            @Override
            public void handedOver(long pid) {
                throw new AssertionError("never handed over");
            }

            @Override
            public boolean newOneDied() {
                return false;
            }

            @Override
            public void rolledBack(String why) {
            }
        })) {
            assertTrue(TakeoverClient.answers(socket), "listening: " + server);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            // Loosened here only so that the other user can connect at all: the check must not rest on the mode.
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
            // The client: a single-file Java program, run as nobody by this JDK's launcher.
            Path source = directory.resolve("Client.java");
            Files.writeString(source, """
                    import java.io.*;
                    import java.net.UnixDomainSocketAddress;
                    import java.nio.ByteBuffer;
                    import java.nio.channels.*;
                    public class Client {
                        public static void main(String[] args) throws Exception {
                            try (SocketChannel s = SocketChannel.open(UnixDomainSocketAddress.of(args[0]))) {
                                s.write(ByteBuffer.wrap("TAKEOVER 2 1\\n".getBytes("US-ASCII")));
                                System.out.println(new BufferedReader(new InputStreamReader(
                                        Channels.newInputStream(s), "US-ASCII")).readLine());
                            }
                        }
                    }
                    """);
            Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rw-r--r--"));
            String launcher = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process client = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", launcher,
                    "-Duser.home=" + directory, source.toString(), socket.toString())
                    .redirectErrorStream(true).start();
            try {
                assertTrue(client.waitFor(20, TimeUnit.SECONDS), "the client finished");
                String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                assertEquals("REFUSED uid 65534 may not take over this appliance (it runs as uid 0)", answer);
                assertEquals(0, offers.get(), "nothing was offered");
            } finally {
                client.destroyForcibly();
            }
            // This appliance's own user, speaking the version before flows were handed over: refused too.
            try (java.nio.channels.SocketChannel own = java.nio.channels.SocketChannel.open(
                    java.net.UnixDomainSocketAddress.of(socket))) {
                own.write(java.nio.ByteBuffer.wrap("TAKEOVER 1 1\n".getBytes(StandardCharsets.US_ASCII)));
                String answer = new java.io.BufferedReader(new java.io.InputStreamReader(
                        java.nio.channels.Channels.newInputStream(own), StandardCharsets.US_ASCII)).readLine();
                assertEquals("REFUSED handover version 1; this appliance speaks 2: stop it and start the new one"
                        + " instead (not hitless)", answer);
                assertEquals(0, offers.get(), "nothing was offered");
            }
        }
    }
}
