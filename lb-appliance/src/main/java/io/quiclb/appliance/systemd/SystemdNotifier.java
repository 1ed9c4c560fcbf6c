package io.quiclb.appliance.systemd;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.FileNotFoundException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd about the appliance's state with the {@code sd_notify(3)} protocol: each message is one datagram of
 * newline-separated {@code KEY=value} assignments ({@code READY=1}, {@code RELOADING=1}, {@code STOPPING=1},
 * {@code MAINPID=<pid>}, {@code STATUS=<text>}) sent to the Unix datagram socket that systemd names in the environment
 * variable {@code NOTIFY_SOCKET} of a {@code Type=notify} service. Without {@code NOTIFY_SOCKET} (not started by
 * systemd, or by a unit of another type) every method does nothing.
 *
 * <p><b>Sockets.</b> {@code NOTIFY_SOCKET} is an absolute path ({@code /run/systemd/notify}, what systemd sets) or a
 * name in Linux's abstract namespace written with a leading {@code @}; both are supported. The JDK's
 * {@code UnixDomainSocketAddress} works only with stream channels, so the datagrams go out on Netty's
 * {@link EpollDomainDatagramChannel}, unbound and unconnected, each sent with {@code sendto(2)} like
 * {@code sd_notify(3)} does. Netty's native code copies the address's bytes into {@code sun_path} as they are and
 * passes their exact length, so a name whose first byte is NUL is an abstract address: {@code @name} is sent to
 * {@code "\0name"}. Other forms ({@code vsock:}, relative paths) and names over the 108 bytes of {@code sun_path} are
 * refused with one warning, and the notifier is then off. It needs the epoll transport's native library, which is on
 * the class path on Linux whatever transport the forwarder runs on (NIO too); where {@link Epoll#isAvailable()} is
 * false it logs one warning and is off.
 *
 * <p><b>Sending.</b> The one-thread event loop and the channel are created on the first message, not before; each
 * message waits until the datagram has been handed to the kernel (at most a second), as {@code sd_notify(3)} does, so
 * that a {@code stopping()} right before exiting has left, and messages from one thread arrive in the order sent. A
 * failure (no one listening, a timeout) never throws: the first is logged as a warning, later ones at debug level.
 *
 * <p><b>With {@code NotifyAccess=all}</b> (needed so that a process taking over can send {@code MAINPID=}), systemd
 * accepts every message from every process of the unit's control group, and acts on it for the whole service. So a
 * process that has handed its sockets over and is draining must not send {@code STOPPING=1}: systemd would stop the
 * service, the new main process included. And the process taking over inherits {@code NOTIFY_SOCKET} through its
 * environment, which must therefore stay set (unlike {@code sd_notify(3)}'s {@code unset_environment}). systemd finds
 * the unit of a message by its sender's PID, so a message from a process that is not the main one and exits at once
 * may be dropped unattributed; {@code sd_notify_barrier(3)} (which passes a pipe with the datagram) is not
 * implemented, as Netty's datagram channel cannot pass descriptors.
 *
 * <p><b>Thread safety:</b> safe for use from any thread. Messages are sent one at a time, in the order the calls take
 * the notifier's lock; {@link #close()} waits for a message in progress. Do not call it from a Netty event loop that
 * must not block.
 */
public final class SystemdNotifier implements AutoCloseable {
    /** The environment variable that names systemd's notification socket. */
    public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";

    private static final Logger LOG = LoggerFactory.getLogger(SystemdNotifier.class);
    /** {@code sizeof(((struct sockaddr_un *) 0)->sun_path)} on Linux. */
    private static final int SUN_PATH_BYTES = 108;
    private static final long TIMEOUT_MILLIS = 1000;

    private final String socketName;
    private final DomainSocketAddress address;
    private final AtomicBoolean failureLogged = new AtomicBoolean();
    private final Object lock = new Object();
    private MultiThreadIoEventLoopGroup group; // guarded by lock
    private Channel channel; // guarded by lock
    private boolean closed; // guarded by lock

    private SystemdNotifier(String socketName, DomainSocketAddress address) {
        this.socketName = socketName;
        this.address = address;
    }

    /**
     * The notifier for the socket named by {@code NOTIFY_SOCKET}; off when the variable is unset or empty.
     *
     * @return a notifier, enabled when systemd asked for notifications and they can be sent
     */
    public static SystemdNotifier fromEnvironment() {
        return forSocket(System.getenv(NOTIFY_SOCKET));
    }

    /**
     * The notifier for the given socket, as {@code NOTIFY_SOCKET} would name it.
     *
     * @param socketName an absolute path, or {@code @} and a name in the abstract namespace; {@code null} or empty
     *                   for a notifier that does nothing
     * @return a notifier, enabled when the name is usable and the epoll transport is available (otherwise off, with
     *         one warning that says why)
     */
    public static SystemdNotifier forSocket(String socketName) {
        if (socketName == null || socketName.isEmpty()) {
            return new SystemdNotifier(null, null);
        }
        String path;
        if (socketName.charAt(0) == '/') {
            path = socketName;
        } else if (socketName.charAt(0) == '@') {
            path = '\0' + socketName.substring(1);
        } else {
            return off(socketName, "is neither an absolute path nor an abstract name (@name); other kinds of"
                    + " notification socket are not supported");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > SUN_PATH_BYTES) {
            return off(socketName, "is longer than the " + SUN_PATH_BYTES + " bytes of a Unix socket address");
        }
        if (!Epoll.isAvailable()) {
            return off(socketName, "needs Netty's epoll transport, which is not available here ("
                    + Epoll.unavailabilityCause() + ")");
        }
        return new SystemdNotifier(socketName, new DomainSocketAddress(path));
    }

    private static SystemdNotifier off(String socketName, String why) {
        LOG.warn("systemd notifications are off: {}={} {}", NOTIFY_SOCKET, socketName, why);
        return new SystemdNotifier(socketName, null);
    }

    /**
     * @return whether messages are sent: systemd named a socket, and this notifier can send to it
     */
    public boolean enabled() {
        return address != null;
    }

    /** Start-up (or a reload) is complete: {@code READY=1}. */
    public void ready() {
        send("READY=1");
    }

    /**
     * A reload begins: {@code RELOADING=1} with {@code MONOTONIC_USEC=} the time now on {@code CLOCK_MONOTONIC} in
     * microseconds (which {@code Type=notify-reload} units need to tell this reload from an earlier one; older systemd
     * ignores it). {@code READY=1} must follow when the reload is over, whether it worked or not.
     */
    public void reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=" + monotonicMicros());
    }

    /**
     * The service is shutting down: {@code STOPPING=1}. Only the main process may send it, when the service stops; a
     * process that handed over to another must not (see the class description).
     */
    public void stopping() {
        send("STOPPING=1");
    }

    /**
     * {@code MAINPID=<pid>}: the given process is now the service's main process. A process taking over sends its
     * own PID, then {@link #ready()} ({@code send("MAINPID=" + pid + "\nREADY=1")} sends both in one datagram). The
     * unit needs {@code NotifyAccess=all}, and the process must belong to the unit's control group.
     *
     * @param pid the new main process, above 0
     * @throws IllegalArgumentException when {@code pid} is not above 0
     */
    public void mainPid(long pid) {
        if (pid <= 0) {
            throw new IllegalArgumentException("pid must be above 0: " + pid);
        }
        send("MAINPID=" + pid);
    }

    /**
     * {@code STATUS=<text>}, which {@code systemctl status} shows.
     *
     * @param text one line; line breaks in it are sent as spaces, since each line of a message is an assignment
     */
    public void status(String text) {
        Objects.requireNonNull(text, "text");
        send("STATUS=" + text.replace('\r', ' ').replace('\n', ' '));
    }

    /**
     * Sends one message as one datagram, waiting (at most a second) until the kernel has it; nothing when the
     * notifier is off or closed. A failure is logged, never thrown.
     *
     * @param message newline-separated {@code KEY=value} assignments, sent as they are (UTF-8)
     */
    public void send(String message) {
        Objects.requireNonNull(message, "message");
        if (address == null) {
            return;
        }
        synchronized (lock) {
            if (closed) {
                LOG.debug("systemd notifier closed, not sending {}", printable(message));
                return;
            }
            Channel sender = channel(message);
            if (sender == null) {
                return;
            }
            ByteBuf content = ByteBufUtil.writeUtf8(sender.alloc(), message);
            ChannelFuture sent = sender.writeAndFlush(new DomainDatagramPacket(content, address));
            if (!sent.awaitUninterruptibly(TIMEOUT_MILLIS)) {
                failed(message, "no answer from the kernel within " + TIMEOUT_MILLIS + " ms", null);
            } else if (!sent.isSuccess()) {
                Throwable cause = sent.cause();
                failed(message, cause instanceof FileNotFoundException ? "no socket there (" + cause + ")"
                        : String.valueOf(cause), cause);
            }
        }
    }

    /**
     * The unbound datagram channel, created with its event loop on first use; {@code null} when that failed.
     * {@code DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION} is deprecated in Netty 4.2 with no replacement; without it an
     * unbound, unconnected datagram channel never becomes active and refuses writes, and connecting instead would tie
     * the channel to the socket systemd had then (each {@code sendto(2)} finds the path again, as sd_notify does).
     */
    @SuppressWarnings("deprecation")
    private Channel channel(String message) {
        if (channel != null) {
            return channel;
        }
        try {
            if (group == null) {
                // Daemon threads: a notifier that is never closed does not keep the JVM alive.
                group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("quiclb-sd-notify", true),
                        EpollIoHandler.newFactory());
            }
            ChannelFuture registered = new Bootstrap()
                    .group(group)
                    .channel(EpollDomainDatagramChannel.class)
                    // Unbound and unconnected: active once registered, so sendto(2) can be used at once.
                    .option(ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, true)
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(new ChannelInboundHandlerAdapter())
                    .register();
            if (!registered.awaitUninterruptibly(TIMEOUT_MILLIS)) {
                registered.channel().close();
                failed(message, "the notification channel did not open within " + TIMEOUT_MILLIS + " ms", null);
                return null;
            }
            if (!registered.isSuccess()) {
                failed(message, "cannot open the notification channel: " + registered.cause(), registered.cause());
                return null;
            }
            channel = registered.channel();
            return channel;
        } catch (RuntimeException | LinkageError e) {
            failed(message, "cannot open the notification channel: " + e, e);
            return null;
        }
    }

    private void failed(String message, String why, Throwable cause) {
        if (failureLogged.compareAndSet(false, true)) {
            LOG.warn("systemd notification {} to {}={} failed: {} (later failures are logged at debug level)",
                    printable(message), NOTIFY_SOCKET, socketName, why);
        } else {
            LOG.debug("systemd notification {} to {}={} failed: {}", printable(message), NOTIFY_SOCKET, socketName,
                    why, cause);
        }
    }

    private static String printable(String message) {
        return message.replace("\n", "\\n");
    }

    /**
     * {@code CLOCK_MONOTONIC} in microseconds: on Linux, HotSpot's {@link System#nanoTime()} reads
     * {@code clock_gettime(CLOCK_MONOTONIC)}, the clock systemd compares {@code MONOTONIC_USEC=} with.
     */
    static long monotonicMicros() {
        return TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
    }

    /** Closes the channel and shuts its event loop down; later messages are not sent. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (channel != null) {
                channel.close().awaitUninterruptibly(TIMEOUT_MILLIS);
                channel = null;
            }
            if (group != null) {
                group.shutdownGracefully(0, TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                        .awaitUninterruptibly(2 * TIMEOUT_MILLIS);
                group = null;
            }
        }
    }

    /** @return the socket name and whether the notifier is on, for logs */
    @Override
    public String toString() {
        return "SystemdNotifier[" + (socketName == null ? "no " + NOTIFY_SOCKET : socketName)
                + (enabled() ? "" : ", off") + "]";
    }
}
