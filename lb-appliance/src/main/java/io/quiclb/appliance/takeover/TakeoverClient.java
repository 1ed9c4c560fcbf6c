package io.quiclb.appliance.takeover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollDomainSocketChannelConfig;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.forward.ForwarderHandover;
import io.quiclb.appliance.forward.InheritedSockets;
import io.quiclb.appliance.forward.NatFlows;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * The new appliance's side of a takeover ({@link HandoverProtocol}): connects to the running one's
 * {@code forwarder.handoverSocket}, receives its listener sockets, and later says it serves.
 *
 * <p><b>Thread safety:</b> {@link #connect} runs on the starting thread; a {@link Session} is used by one thread at a
 * time (startup, then the server-started callback).
 */
public final class TakeoverClient {
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(TakeoverClient.class);
    private static final Object CLOSED = new Object();

    private TakeoverClient() {
    }

    /**
     * @param path    the running appliance's handover socket
     * @param timeout how long each step may take
     * @return the session, with the sockets received; empty when no appliance listens there (start as usual)
     * @throws IOException when an appliance answered but the handover failed (nothing changed on its side)
     */
    public static Optional<Session> connect(Path path, Duration timeout) throws IOException {
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        MultiThreadIoEventLoopGroup group = HandoverProtocol.eventLoop("quiclb-takeover");
        BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
        Channel channel;
        try {
            channel = new Bootstrap().group(group).channel(EpollDomainSocketChannel.class)
                    .handler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel ch) {
                            ch.pipeline().addLast(new LineBasedFrameDecoder(HandoverProtocol.MAX_LINE),
                                    new StringDecoder(StandardCharsets.UTF_8), new ChannelInboundHandlerAdapter() {
                                        @Override
                                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                            inbox.add(msg);
                                        }

                                        @Override
                                        public void channelInactive(ChannelHandlerContext ctx) {
                                            inbox.add(CLOSED);
                                        }
                                    });
                        }
                    }).connect(new DomainSocketAddress(path.toFile())).awaitUninterruptibly().channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            return Optional.empty();
        }
        if (!channel.isActive()) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            return Optional.empty(); // a stale socket file: nobody listens
        }
        Session session = new Session(group, channel);
        try {
            session.handshake(inbox, timeout);
            return Optional.of(session);
        } catch (IOException | RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /**
     * @param path a handover socket
     * @return whether an appliance answers on it
     */
    public static boolean answers(Path path) {
        try (java.nio.channels.SocketChannel probe = java.nio.channels.SocketChannel.open(
                java.net.UnixDomainSocketAddress.of(path))) {
            return probe.isConnected();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** A takeover in progress: the sockets received, and the promise to say when this appliance serves. */
    public static final class Session implements AutoCloseable {
        private final MultiThreadIoEventLoopGroup group;
        private final Channel channel;
        private final List<InetSocketAddress> listeners = new ArrayList<>();
        private InheritedSockets sockets = InheritedSockets.NONE;
        private BlockingQueue<Object> inbox;
        private Duration timeout;
        private long oldPid = -1;

        private Session(MultiThreadIoEventLoopGroup group, Channel channel) {
            this.group = group;
            this.channel = channel;
        }

        private void handshake(BlockingQueue<Object> inbox, Duration timeout) throws IOException {
            this.inbox = inbox;
            this.timeout = timeout;
            send(HandoverProtocol.TAKEOVER + HandoverProtocol.VERSION + " " + ProcessHandle.current().pid());
            String reply = line(pollOrFail(inbox, timeout), "the socket list");
            if (reply.startsWith(HandoverProtocol.REFUSED)) {
                throw new IOException("the running appliance refused the takeover: "
                        + reply.substring(HandoverProtocol.REFUSED.length()));
            }
            if (!reply.startsWith(HandoverProtocol.SOCKETS)) {
                throw new IOException("unexpected answer from the running appliance: " + reply);
            }
            JsonNode offer = new ObjectMapper().readTree(reply.substring(HandoverProtocol.SOCKETS.length()));
            oldPid = offer.path("pid").asLong(-1);
            offer.get("listeners").forEach(l -> listeners.add(HostPort.parse(l.asText()).resolve()));
            List<InetSocketAddress> addresses = new ArrayList<>();
            offer.get("sockets").forEach(a -> addresses.add(HostPort.parse(a.asText()).resolve()));
            List<Integer> readers = new ArrayList<>();
            offer.path("socketWorkers").forEach(w -> readers.add(w.asInt()));
            if (readers.size() != addresses.size()) {
                throw new IOException("the running appliance named the workers of " + readers.size() + " of "
                        + addresses.size() + " sockets");
            }
            List<Integer> fds = receiveDescriptors(addresses.size(), "listener");
            List<InheritedSockets.Inherited> received = new ArrayList<>();
            for (int i = 0; i < addresses.size(); i++) {
                received.add(new InheritedSockets.Inherited(addresses.get(i), readers.get(i), fds.get(i)));
            }
            sockets = new InheritedSockets(received);
        }

        /** @return the listener sockets received */
        public InheritedSockets sockets() {
            return sockets;
        }

        /** @return the running appliance's configured listeners as bound, in config.yml order */
        public List<InetSocketAddress> listeners() {
            return List.copyOf(listeners);
        }

        /**
         * Once this appliance has started: asks the old one to stop reading and hand its NAT flows over, adopts them
         * with their upstream sockets, reads the inherited listeners, and tells the old one this one serves (it
         * drains and exits). The connection stays open for as long as this process lives, so the old appliance,
         * while it drains, notices if this one dies and takes its sockets back.
         *
         * @param forwarder this appliance's forwarder, whose inherited listeners are not read yet
         * @return what was adopted, in one line
         * @throws IOException when the old appliance closed or failed before handing over; this one has not read
         *                     its listeners ({@link #oldOneAlive} says whether to serve anyway)
         */
        public String handOver(ForwarderHandover forwarder) throws IOException {
            long asked = System.nanoTime();
            send(HandoverProtocol.HANDOVER + forwarder.workers());
            String header = line(pollOrFail(inbox, timeout), "flows");
            if (!header.startsWith(HandoverProtocol.FLOWS)) {
                throw new IOException("unexpected answer from the running appliance: " + header);
            }
            JsonNode counts = new ObjectMapper().readTree(header.substring(HandoverProtocol.FLOWS.length()));
            int socketCount = counts.path("sockets").asInt(0);
            List<String> socketLines = new ArrayList<>();
            List<String> flowLines = new ArrayList<>();
            for (String line = line(pollOrFail(inbox, timeout), "flows"); !line.equals(HandoverProtocol.END);
                    line = line(pollOrFail(inbox, timeout), "flows")) {
                (line.startsWith(HandoverProtocol.UPSTREAM) ? socketLines : flowLines).add(line);
            }
            if (socketLines.size() != socketCount) {
                throw new IOException("the running appliance announced " + socketCount + " upstream sockets and"
                        + " described " + socketLines.size());
            }
            List<Integer> fds = receiveDescriptors(socketCount, "upstream");
            NatFlows flows;
            try {
                flows = FlowLines.parse(forwarder.workers(), socketLines, fds, flowLines);
            } catch (RuntimeException e) {
                closeAll(fds);
                throw new IOException("the running appliance's flows cannot be read: " + e.getMessage(), e);
            }
            String adopted;
            try {
                if (counts.has("kept")) {
                    adopted = "NAT flows kept and drained by the appliance taken over: " + counts.get("kept").asText();
                } else {
                    adopted = forwarder.adoptFlows(flows);
                }
                forwarder.resumeReading();
            } catch (Exception e) {
                throw new IOException("adopting the flows failed: " + e.getMessage(), e);
            }
            long unread = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
            if (counts.has("kept") || adopted.contains("not adopted")) {
                LOG.warn("takeover: {} (their clients reach their servers through new flows: a NAT rebinding); the"
                        + " listeners went unread for {} ms", adopted, unread);
            } else {
                LOG.info("takeover: {}; the listeners went unread for {} ms", adopted, unread);
            }
            send(HandoverProtocol.SERVING);
            return adopted;
        }

        /**
         * After the handover failed: whether the appliance taken over still runs (it rolled back and reads its
         * sockets again) or died. A dying process closes its sockets before it is gone, so this waits up to 5 s for
         * it to be gone (or a zombie) before it says it runs.
         *
         * @return whether it runs
         */
        public boolean oldOneAlive() {
            if (oldPid <= 0) {
                return false;
            }
            for (int check = 0; check < 50; check++) {
                if (!running(oldPid)) {
                    return false;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return running(oldPid);
        }

        /** @return whether the process runs: it exists and is not a zombie (state Z or X in /proc/{pid}/stat) */
        private static boolean running(long pid) {
            if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                return false;
            }
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
                return !state.equals("Z") && !state.equals("X");
            } catch (IOException | RuntimeException e) {
                return false; // gone between the two looks
            }
        }

        /** Receives {@code count} descriptors: switches the read mode, asks with SEND, switches back. */
        private List<Integer> receiveDescriptors(int count, String what) throws IOException {
            List<Integer> fds = new ArrayList<>();
            if (count == 0) {
                return fds;
            }
            EpollDomainSocketChannelConfig config = (EpollDomainSocketChannelConfig) channel.config();
            config.setReadMode(DomainSocketReadMode.FILE_DESCRIPTORS);
            send(HandoverProtocol.SEND);
            while (fds.size() < count) {
                Object message = pollOrFail(inbox, timeout);
                if (!(message instanceof FileDescriptor fd)) {
                    closeAll(fds); // ours: the old appliance keeps its own
                    throw new IOException("the running appliance sent " + fds.size() + " of " + count + " " + what
                            + " sockets, then " + (message == CLOSED ? "closed" : message == null ? "nothing"
                            : message));
                }
                fds.add(fd.intValue());
            }
            config.setReadMode(DomainSocketReadMode.BYTES);
            return fds;
        }

        @Override
        public void close() {
            channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }

        private void send(String line) throws IOException {
            if (!channel.writeAndFlush(Unpooled.copiedBuffer(line + "\n", StandardCharsets.UTF_8))
                    .awaitUninterruptibly().isSuccess()) {
                throw new IOException("the running appliance closed the handover socket");
            }
        }

        private static String line(Object message, String what) throws IOException {
            if (message instanceof String text) {
                return text;
            }
            throw new IOException("no " + what + " from the running appliance: " + (message == CLOSED ? "it closed"
                    : "it did not answer in time"));
        }
    }

    private static void closeAll(List<Integer> fds) {
        for (int fd : fds) {
            try {
                new FileDescriptor(fd).close();
            } catch (IOException e) {
                // closing our copy only; the old appliance keeps its own
            }
        }
    }

    private static Object pollOrFail(BlockingQueue<Object> inbox, Duration timeout) {
        try {
            return inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
