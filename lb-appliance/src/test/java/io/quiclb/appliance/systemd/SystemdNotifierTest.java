package io.quiclb.appliance.systemd;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SystemdNotifier} against a real Unix datagram socket standing in for systemd's: bound in a temporary
 * directory (as {@code /run/systemd/notify} is) or in the abstract namespace, with Netty's epoll domain datagram
 * channel, and every datagram it receives compared byte for byte with what {@code sd_notify(3)} would send.
 */
class SystemdNotifierTest {
    private static final Pattern RELOADING = Pattern.compile("RELOADING=1\nMONOTONIC_USEC=(\\d+)");

    @TempDir
    Path dir;

    private MultiThreadIoEventLoopGroup group;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();

    @BeforeEach
    void startLoop() {
        assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    @AfterEach
    void stopLoop() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Binds the stand-in for systemd's socket at {@code path} ({@code "\0..."} for an abstract name). */
    private Channel systemd(String path) throws InterruptedException {
        return new Bootstrap()
                .group(group)
                .channel(EpollDomainDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket packet) {
                        received.add(packet.content().toString(StandardCharsets.UTF_8));
                    }
                })
                .bind(new DomainSocketAddress(path))
                .sync()
                .channel();
    }

    private String next() throws InterruptedException {
        String datagram = received.poll(5, TimeUnit.SECONDS);
        assertTrue(datagram != null, "no datagram within 5 s");
        return datagram;
    }

    @Test
    void sendsEachMessageAsOneDatagramToAPathSocket() throws InterruptedException {
        String path = dir.resolve("notify").toString();
        Channel systemd = systemd(path);
        SystemdNotifier notifier = SystemdNotifier.forSocket(path);
        try {
            assertTrue(notifier.enabled());

            notifier.ready();
            assertEquals("READY=1", next());

            long before = SystemdNotifier.monotonicMicros();
            notifier.reloading();
            long after = SystemdNotifier.monotonicMicros();
            Matcher reloading = RELOADING.matcher(next());
            assertTrue(reloading.matches(), reloading::toString);
            long usec = Long.parseLong(reloading.group(1));
            assertTrue(before <= usec && usec <= after, usec + " not in [" + before + ", " + after + "]");

            notifier.mainPid(4711);
            assertEquals("MAINPID=4711", next());

            notifier.status("taking over from 4710");
            assertEquals("STATUS=taking over from 4710", next());

            notifier.status("two\nlines\r\n");
            assertEquals("STATUS=two lines  ", next());

            notifier.send("MAINPID=4712\nREADY=1");
            assertEquals("MAINPID=4712\nREADY=1", next());

            notifier.stopping();
            assertEquals("STOPPING=1", next());

            assertThrows(IllegalArgumentException.class, () -> notifier.mainPid(0));

            notifier.close();
            notifier.ready();
            notifier.close();
            assertNull(received.poll(200, TimeUnit.MILLISECONDS), "nothing is sent after close");
        } finally {
            notifier.close();
            systemd.close().syncUninterruptibly();
        }
    }

    @Test
    void sendsToAnAbstractSocketNamedWithAnAt() throws InterruptedException {
        String name = "quiclb-notify-test-" + UUID.randomUUID();
        Channel systemd = systemd("\0" + name);
        try (SystemdNotifier notifier = SystemdNotifier.forSocket("@" + name)) {
            assertTrue(notifier.enabled());
            notifier.ready();
            assertEquals("READY=1", next());
            notifier.mainPid(ProcessHandle.current().pid());
            assertEquals("MAINPID=" + ProcessHandle.current().pid(), next());
        } finally {
            systemd.close().syncUninterruptibly();
        }
    }

    @Test
    void withoutASocketNothingIsSentAndNothingThrown() {
        for (String none : new String[] {null, ""}) {
            SystemdNotifier notifier = SystemdNotifier.forSocket(none);
            assertFalse(notifier.enabled());
            assertDoesNotThrow(() -> {
                notifier.ready();
                notifier.reloading();
                notifier.mainPid(42);
                notifier.status("idle");
                notifier.send("WATCHDOG=1");
                notifier.stopping();
                notifier.close();
                notifier.close();
            });
        }
        if (System.getenv(SystemdNotifier.NOTIFY_SOCKET) == null) {
            try (SystemdNotifier notifier = SystemdNotifier.fromEnvironment()) {
                assertFalse(notifier.enabled());
                notifier.ready();
            }
        }
    }

    @Test
    void aSocketNobodyListensOnFailsQuietly() {
        try (SystemdNotifier notifier = SystemdNotifier.forSocket(dir.resolve("gone").toString())) {
            assertTrue(notifier.enabled());
            assertDoesNotThrow(() -> {
                notifier.ready();
                notifier.stopping();
            });
        }
    }

    @Test
    void unusableNamesTurnItOff() {
        for (String name : new String[] {"run/systemd/notify", "vsock:2:1234", "/" + "x".repeat(108)}) {
            try (SystemdNotifier notifier = SystemdNotifier.forSocket(name)) {
                assertFalse(notifier.enabled(), name);
                assertDoesNotThrow(notifier::ready);
            }
        }
        try (SystemdNotifier notifier = SystemdNotifier.forSocket("/" + "x".repeat(107))) {
            assertTrue(notifier.enabled(), "108 bytes fit");
        }
    }
}
