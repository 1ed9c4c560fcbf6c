package io.quiclb.appliance.forward;

import io.netty.channel.Channel;
import io.quiclb.appliance.route.RouteTable;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A forwarder's part in a takeover. On the appliance taken over: its listener sockets ({@link #listenerSockets}),
 * then, when the new appliance has started, it stops reading them ({@link #stopReading}) and hands over its NAT
 * flows with their upstream sockets ({@link #exportFlows}). On the new appliance: the inherited listener sockets
 * are not read until the flows are adopted ({@link #adoptFlows}, then {@link #resumeReading}), so no client
 * datagram meets a worker that does not yet hold its flow, and each server keeps seeing its clients behind the same
 * upstream 4-tuples: to the servers a takeover is not a NAT rebinding.
 *
 * <p>Flows go to the worker of the same index, which reads the same listener sockets (inherited in order), so the
 * appliances must run the same number of workers; otherwise the old one keeps its flows and relays their replies
 * until they go quiet ({@code forwarder.drainTimeout}).
 *
 * <p><b>Thread safety:</b> each method runs its per-worker steps on the workers' event loops and waits for them; call
 * from one thread at a time (the handover event loop).
 */
public final class ForwarderHandover {
    private static final Logger LOG = LoggerFactory.getLogger(ForwarderHandover.class);
    /** How long one worker may take for its part. */
    private static final long STEP_SECONDS = 10;

    private final Forwarder forwarder;

    ForwarderHandover(Forwarder forwarder) {
        this.forwarder = forwarder;
    }

    /**
     * One listener socket, for a takeover: the address it is bound to, the worker that reads it, and its descriptor
     * (still this process's).
     *
     * @param address the bound address
     * @param worker  the index of the worker that reads it; -1 for an inherited socket adopted beyond one per worker
     * @param fd      the descriptor
     */
    public record ListenerSocket(InetSocketAddress address, int worker, int fd) {
    }

    /** @return the number of workers */
    public int workers() {
        return forwarder.workers().size();
    }

    /**
     * @return whether this forwarder's transport can pass its sockets on (epoll, io_uring)
     */
    public boolean canHandOver() {
        return forwarder.transport() != null && forwarder.transport().canAdopt();
    }

    /**
     * @return every listener socket of every worker (configured, behind wildcards, adopted), each once, worker by
     *         worker
     * @throws UnsupportedOperationException on NIO, whose sockets have no descriptor to pass
     */
    public List<ListenerSocket> listenerSockets() throws Exception {
        if (!canHandOver()) {
            throw new UnsupportedOperationException("the nio transport cannot hand its sockets over");
        }
        List<ListenerSocket> sockets = new ArrayList<>();
        Set<Channel> extras = new java.util.HashSet<>(forwarder.listenerSet().extras());
        for (Channel channel : allListenerChannels()) {
            int worker = -1;
            for (Worker candidate : forwarder.workers()) {
                if (!extras.contains(channel) && candidate.eventLoop() == channel.eventLoop()) {
                    worker = candidate.index();
                }
            }
            sockets.add(new ListenerSocket((InetSocketAddress) channel.localAddress(), worker,
                    ((io.netty.channel.unix.UnixChannel) channel).fd().intValue()));
        }
        return sockets;
    }

    /**
     * Stops reading every listener socket (the appliance taking over reads them now) while still sending replies of
     * this one's flows through them.
     */
    public void stopReading() throws Exception {
        setReading(false);
    }

    /**
     * Reads the listener sockets: on the new appliance once it holds the flows handed over; on the old one when the
     * takeover rolled back or the new one died.
     */
    public void resumeReading() throws Exception {
        setReading(true);
    }

    /**
     * Stops reading every upstream socket and describes every worker's flows and upstream sockets, for the appliance
     * taking over (after {@link #stopReading}). This forwarder keeps both until it exits, and relays what a read
     * already in flight delivers, through the same sockets.
     *
     * @return the flows and sockets; the descriptors are still this process's
     */
    public NatFlows exportFlows() throws Exception {
        List<io.netty.util.concurrent.Future<NatFlows.WorkerFlows>> exports = new ArrayList<>();
        for (Worker worker : forwarder.workers()) { // every worker at once: the listeners go unread meanwhile
            exports.add(worker.eventLoop().submit(() -> WorkerHandover.export(worker, forwarder.locals())));
        }
        List<NatFlows.WorkerFlows> workers = new ArrayList<>();
        for (io.netty.util.concurrent.Future<NatFlows.WorkerFlows> export : exports) {
            workers.add(export.get(STEP_SECONDS, TimeUnit.SECONDS));
        }
        return new NatFlows(workers);
    }

    /** Reads the upstream sockets again (the takeover rolled back, or the new appliance died). */
    public void resumeUpstreamReading() throws Exception {
        setUpstreamReading(true);
    }

    /** Stops reading every upstream socket (a new appliance whose takeover failed, before it exits). */
    public void stopUpstreamReading() throws Exception {
        setUpstreamReading(false);
    }

    private void setUpstreamReading(boolean read) throws Exception {
        for (Worker worker : forwarder.workers()) {
            worker.eventLoop().submit(() -> worker.upstreamPorts().setReading(read))
                    .get(STEP_SECONDS, TimeUnit.SECONDS);
        }
    }

    /**
     * Adopts the flows and upstream sockets handed over, every worker at once, before the listeners are read. What
     * cannot be adopted is dropped, counted by reason in the returned summary. If a worker fails or takes longer than
     * 10 s, this throws; the caller then exits, which closes every descriptor adopted.
     *
     * @param flows one entry per worker of the old appliance; as many as this forwarder has workers
     * @return a one-line summary: flows and sockets adopted, flows dropped by reason
     * @throws IllegalArgumentException when the worker counts differ (nothing adopted; the descriptors are closed)
     */
    public String adoptFlows(NatFlows flows) throws Exception {
        List<Worker> workers = forwarder.workers();
        if (flows.workers().size() != workers.size()) {
            closeAll(flows);
            throw new IllegalArgumentException("flows of " + flows.workers().size() + " worker(s) for "
                    + workers.size());
        }
        RouteTable table = forwarder.routing().current();
        List<io.netty.util.concurrent.Future<WorkerHandover.Adopted>> adoptions = new ArrayList<>();
        for (int i = 0; i < workers.size(); i++) { // every worker at once: the listeners go unread meanwhile
            Worker worker = workers.get(i);
            NatFlows.WorkerFlows handed = flows.workers().get(i);
            adoptions.add(worker.eventLoop().submit(() -> WorkerHandover.adopt(worker, handed, table,
                    forwarder.locals(), forwarder.decisions())));
        }
        int adoptedFlows = 0;
        int adoptedSockets = 0;
        Map<String, Integer> dropped = new TreeMap<>();
        for (io.netty.util.concurrent.Future<WorkerHandover.Adopted> adoption : adoptions) {
            WorkerHandover.Adopted adopted = adoption.get(STEP_SECONDS, TimeUnit.SECONDS);
            adoptedFlows += adopted.flows();
            adoptedSockets += adopted.sockets();
            adopted.dropped().forEach((why, count) -> dropped.merge(why, count, Integer::sum));
        }
        return adoptedFlows + " NAT flow(s) on " + adoptedSockets + " upstream socket(s) adopted"
                + (dropped.isEmpty() ? "" : "; flows not adopted: " + dropped);
    }

    private static void closeAll(NatFlows flows) {
        for (NatFlows.WorkerFlows worker : flows.workers()) {
            for (NatFlows.UpstreamSocket socket : worker.sockets()) {
                try {
                    new io.netty.channel.unix.FileDescriptor(socket.fd()).close();
                } catch (java.io.IOException e) {
                    LOG.warn("takeover: closing upstream socket {} failed ({})", socket.fd(), String.valueOf(e));
                }
            }
        }
    }

    private void setReading(boolean read) throws Exception {
        Exception first = null;
        for (Channel channel : allListenerChannels()) {
            try {
                channel.eventLoop().submit(() -> channel.config().setAutoRead(read)).get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                first = first == null ? e : first; // the others still change
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private List<Channel> allListenerChannels() throws Exception {
        ListenerSockets listeners = forwarder.listenerSet();
        Set<Channel> channels = new LinkedHashSet<>();
        if (listeners == null) {
            return List.of();
        }
        for (Worker worker : forwarder.workers()) {
            channels.addAll(listeners.configured(worker));
            for (Channel channel : worker.eventLoop().submit(worker::listeners).get(2, TimeUnit.SECONDS)) {
                if (channel != null) {
                    channels.add(channel);
                }
            }
        }
        channels.addAll(listeners.extras());
        return new ArrayList<>(channels);
    }
}
