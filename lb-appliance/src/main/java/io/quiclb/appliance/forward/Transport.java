package io.quiclb.appliance.forward;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFactory;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.quiclb.appliance.config.TransportKind;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Netty datagram transport: its event loop handler, its datagram channels, and how listener sockets are set up
 * (SO_REUSEPORT, batched receives). {@link #select} applies {@code forwarder.transport}.
 *
 * <p><b>Thread safety:</b> immutable.
 */
public final class Transport {
    private static final Logger LOG = LoggerFactory.getLogger(Transport.class);
    /** The largest UDP payload (IPv4), what one coalesced receive may hold. */
    private static final int MAX_UDP_PAYLOAD = 65_507;

    private final TransportKind kind;
    private final IoHandlerFactory ioHandlerFactory;

    private Transport(TransportKind kind, IoHandlerFactory ioHandlerFactory) {
        this.kind = kind;
        this.ioHandlerFactory = ioHandlerFactory;
    }

    /**
     * @param wanted the configured kind
     * @return the transport: the one asked for, or for {@code auto} the first available of epoll, io_uring, NIO
     * @throws IllegalStateException when the one asked for is not available here, with the reason
     */
    public static Transport select(TransportKind wanted) {
        switch (wanted) {
            case IO_URING:
                if (!IoUring.isAvailable()) {
                    throw new IllegalStateException("forwarder.transport io_uring is not available: "
                            + IoUring.unavailabilityCause());
                }
                return ioUring();
            case EPOLL:
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("forwarder.transport epoll is not available: "
                            + Epoll.unavailabilityCause());
                }
                return epoll();
            case NIO:
                return nio();
            default:
                // epoll first: with Netty 4.2.18 it forwarded 1.35x / 1.58x (1200 / 64 octets) the datagrams of
                // io_uring with batched receives and GSO sends, and 1.17x / 1.13x of io_uring without the
                // single-issuer ring, in our side-by-side benchmark of 2026-11-30 (docs/performance.md, issue 14):
                // Netty's io_uring sends every DatagramPacket with its own io_uring_enter and has no UDP GRO.
                if (Epoll.isAvailable()) {
                    return epoll();
                }
                LOG.info("forwarder.transport auto: epoll unavailable ({}), trying io_uring",
                        String.valueOf(Epoll.unavailabilityCause()));
                if (IoUring.isAvailable()) {
                    return ioUring();
                }
                LOG.info("forwarder.transport auto: io_uring unavailable ({}), using NIO",
                        String.valueOf(IoUring.unavailabilityCause()));
                return nio();
        }
    }

    /** @return every transport that works on this machine, for tests */
    public static List<TransportKind> available() {
        List<TransportKind> kinds = new ArrayList<>();
        if (IoUring.isAvailable()) {
            kinds.add(TransportKind.IO_URING);
        }
        if (Epoll.isAvailable()) {
            kinds.add(TransportKind.EPOLL);
        }
        kinds.add(TransportKind.NIO);
        return kinds;
    }

    private static Transport ioUring() {
        // Netty's default ring (IORING_SETUP_SINGLE_ISSUER + DEFER_TASKRUN). -Dquiclb.ioUring.singleIssuer=false gives
        // them up, which lets a batch of hard-linked receives finish within one io_uring_enter: more datagrams per
        // second but a far worse latency tail in our benchmark (docs/performance.md, issue 14), so it is only a
        // switch for measurements.
        boolean singleIssuer = !"false".equals(System.getProperty("quiclb.ioUring.singleIssuer"));
        return new Transport(TransportKind.IO_URING, IoUringIoHandler.newFactory(
                new IoUringIoHandlerConfig().setSingleIssuer(singleIssuer)));
    }

    private static Transport epoll() {
        return new Transport(TransportKind.EPOLL, EpollIoHandler.newFactory());
    }

    private static Transport nio() {
        return new Transport(TransportKind.NIO, NioIoHandler.newFactory());
    }

    /** @return which transport this is */
    public TransportKind kind() {
        return kind;
    }

    /** @return the event loop handler factory */
    public IoHandlerFactory ioHandlerFactory() {
        return ioHandlerFactory;
    }

    /**
     * Sockets of the address's own family: IPv4 addresses get IPv4 sockets rather than dual-stack IPv6 ones,
     * which is the kernel's shorter path and what /proc/net/udp lists.
     *
     * @param address the address the socket binds or connects to
     * @return a factory of datagram channels of that family
     */
    public ChannelFactory<DatagramChannel> channelFactory(InetSocketAddress address) {
        SocketProtocolFamily family = address.getAddress() instanceof Inet4Address
                ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        switch (kind) {
            case IO_URING:
                return () -> new IoUringDatagramChannel(family);
            case EPOLL:
                return () -> new EpollDatagramChannel(family);
            default:
                return () -> new NioDatagramChannel(family);
        }
    }

    /**
     * A channel over a socket that is already bound: one received from the appliance being taken over (its listener
     * sockets pass over a Unix socket, so none closes and nothing queued in them is lost). The channel is active at
     * once; it is registered but never bound.
     *
     * @param fd the socket's descriptor, owned by the channel from now on
     * @return the channel
     * @throws UnsupportedOperationException on NIO, which cannot adopt a descriptor
     */
    public DatagramChannel adopt(int fd) {
        switch (kind) {
            case IO_URING:
                return new IoUringDatagramChannel(fd);
            case EPOLL:
                return new EpollDatagramChannel(fd);
            default:
                throw new UnsupportedOperationException("the nio transport cannot adopt a socket descriptor; a"
                        + " takeover needs forwarder.transport epoll or io_uring");
        }
    }

    /** @return whether {@link #adopt} works: epoll and io_uring */
    public boolean canAdopt() {
        return kind == TransportKind.EPOLL || kind == TransportKind.IO_URING;
    }

    /**
     * @return whether this transport sends UDP GSO batches ({@code UDP_SEGMENT}: several equal-size datagrams to one
     *         target in one send): epoll (with sendmmsg) and io_uring (one SENDMSG per batch) on a kernel that has it;
     *         Netty's NIO datagram channel does not
     */
    public boolean supportsGso() {
        return kind == TransportKind.EPOLL && EpollDatagramChannel.isSegmentedDatagramPacketSupported()
                || kind == TransportKind.IO_URING && IoUringDatagramChannel.isSegmentedDatagramPacketSupported();
    }

    /** @return whether this transport's listeners can take UDP GRO receives: epoll (Netty's io_uring and NIO cannot) */
    public boolean supportsGro() {
        return kind == TransportKind.EPOLL;
    }

    /**
     * Room for one receive of a listener socket. A coalesced (GRO) receive can be as large as a UDP payload can, and
     * a smaller buffer would truncate it, so with GRO every slot of a batched receive gets that much; the listener
     * handler then splits it into the original datagrams.
     *
     * @param gro whether the listener takes GRO receives ({@link #supportsGro} and asked for)
     * @return octets per received datagram or coalesced run
     */
    int receiveSlot(int maxDatagramSize, boolean gro) {
        return gro ? MAX_UDP_PAYLOAD : maxDatagramSize;
    }

    /** @return whether several sockets may bind one address (SO_REUSEPORT), so each worker gets its own */
    public boolean reusePort() {
        return kind != TransportKind.NIO;
    }

    /**
     * Sets the options of a listener socket before it binds: SO_REUSEPORT, batched receives of datagrams of up to
     * {@code maxDatagramSize} octets per system call where the transport has them (as many as the receive buffer
     * holds), UDP GRO when asked for, and for a wildcard socket the report of each datagram's destination address
     * ({@code IP_RECVORIGDSTADDR}) where the transport has it ({@link #reportsDestination}).
     *
     * @param wildcard whether the socket binds a wildcard address
     */
    void configureListener(ChannelConfig config, int maxDatagramSize, boolean gro, boolean wildcard) {
        switch (kind) {
            case EPOLL:
                config.setOption(UnixChannelOption.SO_REUSEPORT, true);
                config.setOption(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, receiveSlot(maxDatagramSize, gro));
                if (gro) {
                    config.setOption(EpollChannelOption.UDP_GRO, true);
                }
                if (wildcard) {
                    config.setOption(EpollChannelOption.IP_RECVORIGDSTADDR, true);
                }
                break;
            case IO_URING:
                config.setOption(UnixChannelOption.SO_REUSEPORT, true);
                config.setOption(IoUringChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, maxDatagramSize);
                break;
            default:
                break;
        }
    }

    /**
     * @return whether a wildcard listener learns each datagram's IPv4 destination address from the kernel
     *         ({@code IP_RECVORIGDSTADDR}): epoll only; Netty's io_uring and NIO channels report the bound wildcard,
     *         and no transport reports IPv6 destinations (docs/architecture.md)
     */
    public boolean reportsDestination() {
        return kind == TransportKind.EPOLL;
    }

    @Override
    public String toString() {
        return kind.configName();
    }
}
