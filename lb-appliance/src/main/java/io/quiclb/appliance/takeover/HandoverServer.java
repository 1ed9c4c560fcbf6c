package io.quiclb.appliance.takeover;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.PeerCredentials;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.quiclb.appliance.forward.ForwarderHandover;
import io.quiclb.appliance.forward.NatFlows;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running appliance's side of a takeover ({@link HandoverProtocol}): listens on {@code forwarder.handoverSocket}
 * (mode 600: whoever can connect can take the appliance's sockets), answers one {@code TAKEOVER} at a time, from a
 * process of the appliance's own user or root (its peer credentials, SO_PEERCRED; anyone else is refused, even if
 * the socket file's mode lets them connect), with the listener sockets, and tells the {@link Handoff} what
 * happened. While a takeover is in progress the socket file is
 * gone, so a second one finds no appliance to take over from; it comes back if the takeover rolls back.
 *
 * <p><b>Thread safety:</b> the conversation runs on the handover event loop; {@link #listen} and {@link #close} may
 * be called from any thread.
 */
public final class HandoverServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HandoverServer.class);

    /** What the appliance does at each step; called on the handover event loop. */
    public interface Handoff {
        /**
         * A takeover asks: freeze the control plane, release the state file, and say what to hand over.
         *
         * @param pid the new process
         * @return the listeners as bound and every listener socket
         * @throws Exception why it cannot be handed over (the new process is told, and nothing changes)
         */
        Offer offer(long pid) throws Exception;

        /**
         * The new process is ready to read: stop reading the listeners and, if it can take them, hand over the NAT
         * flows (stop reading their upstream sockets too).
         *
         * @param workers the new process's worker count
         * @return the flows to hand over, or {@link NatFlows#NONE} with the reason they are kept
         * @throws Exception why not (the new process is told by the connection closing; this one reads again)
         */
        FlowOffer handOver(int workers) throws Exception;

        /**
         * The new process serves: stop reading the listeners, close the HTTP connector, drain, exit.
         *
         * @param pid the new process
         */
        void handedOver(long pid);

        /**
         * The new process closed the handover connection after it served: it died while this one drains.
         *
         * @return whether this appliance took its listeners back (it had not exited yet)
         */
        boolean newOneDied();

        /**
         * The takeover ended before the new process served: carry on as before.
         *
         * @param why what happened
         */
        void rolledBack(String why);
    }

    /**
     * @param listeners the configured listeners as bound, in config.yml order
     * @param sockets   every listener socket, each handed over as one descriptor
     * @param workers   this appliance's worker count
     */
    public record Offer(List<InetSocketAddress> listeners, List<ForwarderHandover.ListenerSocket> sockets,
                        int workers) {
    }

    /**
     * @param flows the flows and upstream sockets handed over ({@link NatFlows#NONE} when kept)
     * @param kept  why this appliance keeps its flows and drains them itself, or null when they are handed over
     */
    public record FlowOffer(NatFlows flows, String kept) {
    }

    private final Path path;
    private final Handoff handoff;
    private final int ownUid;
    private final MultiThreadIoEventLoopGroup group = HandoverProtocol.eventLoop("quiclb-handover");
    private final ObjectMapper json = new ObjectMapper();
    private final java.util.concurrent.atomic.AtomicBoolean inProgress = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean handedOver;
    private Channel server;

    private HandoverServer(Path path, Handoff handoff) throws IOException {
        this.path = path;
        this.handoff = handoff;
        this.ownUid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    /**
     * @param path    the socket's path; a stale file nobody listens on is replaced
     * @param handoff what the appliance does at each step
     * @return the listening server
     * @throws IOException when the path is another live appliance's, or cannot be bound
     */
    public static HandoverServer listen(Path path, Handoff handoff) throws IOException {
        HandoverServer server = new HandoverServer(path, handoff);
        server.open();
        return server;
    }

    private void open() throws IOException {
        if (Files.exists(path) && TakeoverClient.answers(path)) {
            throw new IOException("forwarder.handoverSocket " + path + " belongs to a running appliance");
        }
        if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                && (Files.isRegularFile(path, java.nio.file.LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(path))) {
            throw new IOException("forwarder.handoverSocket " + path + " is a file or directory, not a stale socket;"
                    + " it is left alone: point forwarder.handoverSocket elsewhere");
        }
        Files.deleteIfExists(path);
        Files.createDirectories(path.toAbsolutePath().getParent());
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                    @Override
                    protected void initChannel(DomainSocketChannel channel) {
                        channel.pipeline().addLast(new LineBasedFrameDecoder(HandoverProtocol.MAX_LINE),
                                new StringDecoder(StandardCharsets.UTF_8), new Conversation());
                    }
                });
        try {
            Channel bound = bootstrap.bind(new DomainSocketAddress(path.toFile())).sync().channel();
            Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            synchronized (this) {
                server = bound;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + path, e);
        } catch (RuntimeException e) {
            throw new IOException("forwarder.handoverSocket " + path + ": cannot listen: " + e.getMessage(), e);
        }
    }

    /**
     * Stops accepting takeovers and removes the socket file, if this server still owns it (a takeover in progress
     * goes on; after a handover the file is the new appliance's).
     */
    private synchronized void stopAccepting() {
        if (server == null) {
            return;
        }
        server.close(); // not awaited: this may run on the handover event loop itself
        server = null;
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("takeover: cannot remove {} ({})", path, String.valueOf(e));
        }
    }

    @Override
    public void close() {
        stopAccepting();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /**
     * One takeover: TAKEOVER → SOCKETS, SEND → listener descriptors, HANDOVER → FLOWS, SEND → upstream descriptors,
     * SERVING → handed over; a close before that rolls back.
     */
    private final class Conversation extends SimpleChannelInboundHandler<String> {
        private boolean offered;
        private boolean handingOver;
        private boolean served;
        private long pid;
        /** Closes the conversation (a rollback) if SERVING does not follow HANDOVER in time; null before HANDOVER. */
        private java.util.concurrent.ScheduledFuture<?> servingDeadline;
        /** Descriptors the next SEND asks for: the listeners', then the upstream sockets'. */
        private List<Integer> toSend = List.of();

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, String line) throws Exception {
            if (!offered && line.startsWith(HandoverProtocol.TAKEOVER)) {
                // The kernel's word on who connected, not the pid the message claims.
                PeerCredentials peer = ((EpollDomainSocketChannel) ctx.channel()).peerCredentials();
                if (peer.uid() != ownUid && peer.uid() != 0) {
                    LOG.warn("takeover: refused pid {} of uid {}: only this appliance's user (uid {}) or root may take"
                            + " it over", peer.pid(), peer.uid(), ownUid);
                    send(ctx, HandoverProtocol.REFUSED + "uid " + peer.uid() + " may not take over this appliance"
                            + " (it runs as uid " + ownUid + ")");
                    ctx.close();
                    return;
                }
                String version = line.substring(HandoverProtocol.TAKEOVER.length()).split(" ", 2)[0];
                if (!version.equals(Integer.toString(HandoverProtocol.VERSION))) {
                    LOG.warn("takeover: refused a takeover speaking version {} of the handover", version);
                    send(ctx, HandoverProtocol.REFUSED + "handover version " + version + "; this appliance speaks "
                            + HandoverProtocol.VERSION + ": stop it and start the new one instead (not hitless)");
                    ctx.close();
                    return;
                }
                takeover(ctx, peer.pid());
            } else if (offered && !served && line.equals(HandoverProtocol.SEND) && !toSend.isEmpty()) {
                for (int fd : toSend) {
                    ctx.write(new FileDescriptor(fd));
                }
                toSend = List.of();
                ctx.flush();
            } else if (offered && !handingOver && line.startsWith(HandoverProtocol.HANDOVER)) {
                handingOver = true;
                // This appliance reads nothing from now on: a new one that hangs must not keep it so.
                servingDeadline = ctx.executor().schedule(() -> {
                    if (!served && ctx.channel().isActive()) {
                        LOG.error("takeover: no SERVING {} s after HANDOVER; this appliance reads again",
                                HandoverProtocol.SERVING_TIMEOUT_SECONDS);
                        ctx.close();
                    }
                }, HandoverProtocol.SERVING_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                handOver(ctx, Integer.parseInt(line.substring(HandoverProtocol.HANDOVER.length()).trim()));
            } else if (handingOver && !served && line.equals(HandoverProtocol.SERVING)) {
                served = true;
                servingDeadline.cancel(false);
                handedOver = true;
                LOG.info("takeover: the new appliance serves; this one drains and exits");
                handoff.handedOver(pid);
            } else {
                LOG.warn("takeover: unexpected message, closing: {}", line.length() > 80 ? line.substring(0, 80) : line);
                ctx.close();
            }
        }

        private void takeover(ChannelHandlerContext ctx, long pid) throws Exception {
            if (handedOver || !inProgress.compareAndSet(false, true)) {
                send(ctx, HandoverProtocol.REFUSED + "another takeover is in progress");
                ctx.close();
                return;
            }
            Offer offer;
            try {
                offer = handoff.offer(pid);
            } catch (Exception e) {
                inProgress.set(false);
                send(ctx, HandoverProtocol.REFUSED + e.getMessage());
                ctx.close();
                return;
            }
            stopAccepting();
            offered = true;
            this.pid = pid;
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("pid", ProcessHandle.current().pid());
            message.put("workers", offer.workers());
            message.put("listeners", offer.listeners().stream().map(HandoverServer::text).toList());
            List<String> addresses = new ArrayList<>();
            List<Integer> readers = new ArrayList<>();
            List<Integer> fds = new ArrayList<>();
            offer.sockets().forEach(socket -> {
                addresses.add(text(socket.address()));
                readers.add(socket.worker());
                fds.add(socket.fd());
            });
            message.put("sockets", addresses);
            message.put("socketWorkers", readers);
            toSend = fds;
            send(ctx, HandoverProtocol.SOCKETS + json.writeValueAsString(message));
            LOG.info("takeover: pid {} asks; control plane frozen, {} listener socket(s) offered", pid, fds.size());
        }

        private void handOver(ChannelHandlerContext ctx, int workers) throws Exception {
            FlowOffer offer = handoff.handOver(workers);
            NatFlows flows = offer.flows();
            Map<String, Object> header = new LinkedHashMap<>();
            header.put("sockets", flows.socketCount());
            header.put("flows", flows.flowCount());
            if (offer.kept() != null) {
                header.put("kept", offer.kept());
            }
            ctx.write(line(HandoverProtocol.FLOWS + json.writeValueAsString(header)));
            for (String socket : FlowLines.sockets(flows)) {
                ctx.write(line(socket));
            }
            for (int w = 0; w < flows.workers().size(); w++) {
                for (NatFlows.FlowEntry flow : flows.workers().get(w).flows()) {
                    ctx.write(line(FlowLines.flow(w, flow)));
                }
            }
            ctx.writeAndFlush(line(HandoverProtocol.END));
            toSend = FlowLines.descriptors(flows);
            LOG.info("takeover: listeners no longer read here; {}", offer.kept() != null
                    ? "NAT flows kept and drained here: " + offer.kept()
                    : flows.flowCount() + " NAT flow(s) and " + flows.socketCount() + " upstream socket(s) offered");
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (servingDeadline != null) {
                servingDeadline.cancel(false);
            }
            if (served) {
                // The new appliance keeps this connection open while it lives: it died while this one drains.
                if (handoff.newOneDied()) {
                    handedOver = false;
                    inProgress.set(false);
                    reopenLater();
                }
            } else if (offered) {
                inProgress.set(false);
                handoff.rolledBack("the new process left before it served");
                reopenLater();
            }
        }

        private void reopenLater() {
            java.util.concurrent.ForkJoinPool.commonPool().execute(() -> {
                try {
                    open(); // off the event loop: binding waits for it
                } catch (IOException e) {
                    LOG.error("takeover: cannot listen on {} again ({}); a later takeover will not find this"
                            + " appliance", path, String.valueOf(e));
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.warn("takeover: handover connection failed ({})", String.valueOf(cause));
            ctx.close();
        }

        private void send(ChannelHandlerContext ctx, String text) {
            ctx.writeAndFlush(line(text));
        }
    }

    private static io.netty.buffer.ByteBuf line(String text) {
        return Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8);
    }

    static String text(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
