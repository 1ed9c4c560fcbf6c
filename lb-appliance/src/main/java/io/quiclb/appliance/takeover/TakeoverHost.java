package io.quiclb.appliance.takeover;

import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.control.StateStore;
import io.quiclb.appliance.forward.Forwarder;
import io.quiclb.appliance.forward.ForwarderCounter;
import io.quiclb.appliance.forward.ForwarderHandover;
import io.quiclb.appliance.forward.NatFlows;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running appliance's part in a takeover. It listens on {@code forwarder.handoverSocket} ({@link HandoverServer})
 * and, on SIGHUP, starts {@code takeover} with its own command line (what {@code systemctl reload} does).
 * <ol>
 * <li>When a takeover asks, it freezes the control plane (changes answer 503), releases the state file and offers
 *     every listener socket; it goes on serving while the new appliance starts.</li>
 * <li>When the new appliance is ready (HANDOVER), it stops reading the listeners (the sockets stay open) and, when
 *     both run as many workers, stops reading its upstream sockets and hands its NAT flows over with them, so the
 *     servers see no NAT rebinding; otherwise it keeps its flows.</li>
 * <li>When the new appliance serves, it closes its HTTP connectors (the new one has bound the same port with
 *     {@code SO_REUSEPORT}), relays replies of the flows it kept until none came for {@value #QUIET_MILLIS} ms or
 *     {@code forwarder.drainTimeout} passed, and exits 0.</li>
 * </ol>
 * A takeover that ends before the new appliance serves changes nothing: the control plane thaws and the state file
 * is taken back, and it reads its sockets again. If the new appliance dies while this one still drains (it keeps the
 * handover connection open), this one reads its sockets again and serves on; flows the new one opened are lost.
 *
 * <p><b>Thread safety:</b> the handoff runs on the handover event loop and hands anything slow (the drain, a
 * rollback) to a thread of its own; SIGHUP runs on the JVM's signal thread and synchronizes on this object; the
 * flags shared between them are volatile.
 */
public final class TakeoverHost implements AutoCloseable {
    /** The drain ends when no datagram moved for this long. */
    static final long QUIET_MILLIS = 2000;
    private static final Logger LOG = LoggerFactory.getLogger(TakeoverHost.class);

    private final Forwarder forwarder;
    private final ControlPlane control;
    private final StateStore store;
    private final Path socket;
    private final long drainMillis;
    private final Runnable exit;
    private final io.quiclb.appliance.systemd.SystemdNotifier systemd;
    private volatile boolean handedOver;
    private volatile boolean newOneDied;
    private volatile boolean exiting;
    private volatile boolean spawning;
    /** Whether the listeners were stopped for a handover (HANDOVER came). */
    private volatile boolean readingStopped;
    /** Whether the NAT flows were offered with their upstream sockets, which this one no longer reads. */
    private volatile boolean flowsHandedOver;
    private HandoverServer server;
    private volatile Server jetty;

    /**
     * @param forwarder   the forwarder whose listener sockets are handed over
     * @param control     frozen during and after the handover
     * @param store       the state file, whose lock goes to the new appliance
     * @param socket      forwarder.handoverSocket
     * @param drainMillis forwarder.drainTimeout
     * @param exit        ends the process once drained ({@code System.exit(0)} in production)
     * @param systemd     told of reloads ({@code RELOADING=1} on SIGHUP, {@code READY=1} again when one rolls back)
     */
    public TakeoverHost(Forwarder forwarder, ControlPlane control, StateStore store, Path socket, long drainMillis,
                        Runnable exit, io.quiclb.appliance.systemd.SystemdNotifier systemd) {
        this.systemd = systemd;
        this.forwarder = forwarder;
        this.control = control;
        this.store = store;
        this.socket = socket;
        this.drainMillis = drainMillis;
        this.exit = exit;
    }

    /**
     * Starts listening for takeovers, once the appliance serves.
     *
     * @param started the started HTTP server, whose connectors close after a handover
     * @throws IOException when the handover socket cannot be bound
     */
    public synchronized void start(Server started) throws IOException {
        this.jetty = started;
        server = HandoverServer.listen(socket, new HandoverServer.Handoff() {
            @Override
            public HandoverServer.Offer offer(long pid) throws Exception {
                return prepare(pid);
            }

            @Override
            public HandoverServer.FlowOffer handOver(int workers) throws Exception {
                return handOverFlows(workers);
            }

            @Override
            public void handedOver(long pid) {
                handedOver = true;
                Thread drain = new Thread(() -> {
                    systemd.mainPid(pid); // the main process says so itself, before it stops reading or exits
                    drainAndExit();
                }, "quiclb-drain");
                drain.setDaemon(false);
                drain.start();
            }

            @Override
            public boolean newOneDied() {
                if (exiting) {
                    return false;
                }
                newOneDied = true;
                return true;
            }

            @Override
            public void rolledBack(String why) {
                Thread rollBack = new Thread(() -> rollBack(why), "quiclb-rollback");
                rollBack.setDaemon(true);
                rollBack.start();
            }
        });
        Hangup.handle(this::reload);
        LOG.info("takeover: listening on {}; `takeover` with this configuration, or SIGHUP, hands this appliance"
                + " over", socket);
    }

    /** SIGHUP: start a takeover, unless one runs or this appliance already handed over. */
    private synchronized void reload() {
        if (handedOver || spawning) {
            LOG.warn("takeover: SIGHUP ignored: {}", handedOver ? "this appliance already handed over"
                    : "a takeover it started is still running");
            return;
        }
        systemd.reloading();
        Process child = spawnTakeover();
        if (child == null) {
            systemd.ready();
            return;
        }
        spawning = true;
        child.onExit().thenRun(() -> {
            spawning = false;
            if (!handedOver) {
                LOG.warn("takeover: the process SIGHUP started exited {} before it took over; this appliance"
                        + " carries on", child.exitValue());
                systemd.ready(); // the reload ends here
            }
        });
    }

    private HandoverServer.Offer prepare(long pid) throws Exception {
        control.freeze("this appliance is being taken over by pid " + pid + "; changes go to the new one: retry"
                + " in a moment");
        forwarder.freezeListeners(true);
        try {
            ForwarderHandover handover = forwarder.handover();
            List<ForwarderHandover.ListenerSocket> sockets = handover.listenerSockets();
            store.unlock();
            return new HandoverServer.Offer(forwarder.boundAddresses(), sockets, handover.workers());
        } catch (Exception e) {
            forwarder.freezeListeners(false);
            control.thaw();
            throw e;
        }
    }

    /**
     * The new appliance is ready: stop reading the listeners, and hand the NAT flows over when it runs as many
     * workers (each flow goes to the worker of the same index, which reads the same listener sockets).
     */
    private HandoverServer.FlowOffer handOverFlows(int workers) throws Exception {
        ForwarderHandover handover = forwarder.handover();
        readingStopped = true;
        handover.stopReading();
        if (workers != handover.workers()) {
            return new HandoverServer.FlowOffer(NatFlows.NONE, "the new appliance runs " + workers
                    + " worker(s), this one " + handover.workers() + "; flows go to the worker of the same index");
        }
        flowsHandedOver = true;
        return new HandoverServer.FlowOffer(handover.exportFlows(), null);
    }

    /** Reads the listeners again, and the upstream sockets if their flows were offered. */
    private void readAgain() throws Exception {
        ForwarderHandover handover = forwarder.handover();
        if (flowsHandedOver) {
            flowsHandedOver = false;
            handover.resumeUpstreamReading();
        }
        if (readingStopped) {
            readingStopped = false;
            handover.resumeReading();
        }
    }

    /** Takes the state file back (the new process's lock may outlive its socket a moment: retried for 5 s). */
    private boolean relock() {
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                store.lock();
                return true;
            } catch (IOException | IllegalStateException e) {
                sleep(100);
            }
        }
        return false;
    }

    private void rollBack(String why) {
        try {
            readAgain();
        } catch (Exception e) {
            LOG.error("takeover rolled back ({}), but reading the sockets again failed in part ({})", why,
                    String.valueOf(e));
        }
        forwarder.freezeListeners(false);
        if (!relock()) {
            LOG.error("takeover rolled back ({}), but the state file cannot be locked again; changes are refused",
                    why);
            return;
        }
        control.thaw();
        systemd.ready(); // a reload that SIGHUP started ends here
        LOG.warn("takeover rolled back: {}; this appliance carries on as before", why);
    }

    private void drainAndExit() {
        long start = System.nanoTime();
        try {
            forwarder.handover().stopReading(); // done at HANDOVER already; a no-op then
            Server http = jetty;
            if (http != null) {
                for (Connector connector : http.getConnectors()) {
                    connector.stop();
                }
            }
        } catch (Exception e) {
            LOG.warn("takeover: stopping the listeners and the HTTP connector failed ({}); draining anyway",
                    String.valueOf(e));
        }
        control.freeze("this appliance was taken over; it only drains");
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(drainMillis);
        long moved = activity();
        long quietSince = System.nanoTime();
        while (System.nanoTime() - deadline < 0) {
            sleep(100);
            if (newOneDied) {
                takeBack();
                return;
            }
            long now = activity();
            if (now != moved) {
                moved = now;
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince >= TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS)) {
                break;
            }
        }
        exiting = true;
        if (newOneDied) {
            exiting = false;
            takeBack();
            return;
        }
        LOG.info("takeover: drained in {} ms ({} flow(s) left); exiting", TimeUnit.NANOSECONDS.toMillis(
                System.nanoTime() - start), forwarder.flows());
        exit.run();
    }

    /** The new appliance died while this one drained: read the listeners again and serve on. */
    private void takeBack() {
        LOG.error("takeover: the new appliance died after it took over; this one takes its listeners back");
        try {
            readingStopped = true;
            readAgain();
            Server http = jetty;
            if (http != null) {
                for (Connector connector : http.getConnectors()) {
                    connector.start();
                }
            }
        } catch (Exception e) {
            LOG.error("takeover: taking the listeners back failed in part ({})", String.valueOf(e));
        }
        forwarder.freezeListeners(false);
        handedOver = false;
        newOneDied = false;
        if (relock()) {
            control.thaw();
        } else {
            LOG.error("takeover: the state file cannot be locked again; changes are refused");
        }
        systemd.send("MAINPID=" + ProcessHandle.current().pid() + "\nREADY=1");
    }

    /** @return datagrams this forwarder handled so far, either way */
    private long activity() {
        return forwarder.total(ForwarderCounter.RECEIVED) + forwarder.total(ForwarderCounter.REPLIES);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The command line of a takeover from this process's: {@code server} (or {@code takeover}) becomes
     * {@code takeover}, and a JVM option {@code -XX:AOTCacheOutput=...} is left out: a cache this process records is
     * written by this process when it exits, and a second writer would race it.
     *
     * @param self this process's command line, the executable first
     * @return the new command line, or null when it has no {@code server} or {@code takeover} argument
     */
    static List<String> takeoverCommand(List<String> self) {
        List<String> command = new ArrayList<>();
        command.add(self.get(0));
        boolean replaced = false;
        for (String argument : self.subList(1, self.size())) {
            if (!replaced && argument.startsWith("-XX:AOTCacheOutput=")) {
                continue;
            }
            if (!replaced && (argument.equals("server") || argument.equals("takeover"))) {
                command.add("takeover");
                replaced = true;
            } else {
                command.add(argument);
            }
        }
        return replaced ? command : null;
    }

    /**
     * Starts {@code takeover} with this process's own command line ({@code server} replaced, and without
     * {@code -XX:AOTCacheOutput}: a cache this process records is written by this process when it exits), as SIGHUP
     * asks.
     *
     * @return the new process, or null when the command line cannot be had
     */
    public static Process spawnTakeover() {
        List<String> self = commandLine();
        if (self.isEmpty()) {
            LOG.error("takeover: this process's command line is unknown; run `takeover` yourself");
            return null;
        }
        List<String> command = takeoverCommand(self);
        if (command == null) {
            LOG.error("takeover: no `server` or `takeover` argument in this process's command line; run `takeover`"
                    + " yourself");
            return null;
        }
        try {
            Process process = new ProcessBuilder(command).inheritIO().start();
            LOG.info("takeover: SIGHUP: started pid {} to take over", process.pid());
            return process;
        } catch (IOException e) {
            LOG.error("takeover: cannot start the new appliance ({})", String.valueOf(e));
            return null;
        }
    }

    /** @return whether this appliance handed over to another one (it must not tell systemd it stops) */
    public boolean handedOver() {
        return handedOver;
    }

    /**
     * @return this process's executable and arguments: /proc/self/cmdline on Linux (whatever its length; the JDK's
     *         view has none for long command lines), else the JDK's view
     */
    private static List<String> commandLine() {
        try {
            String line = java.nio.file.Files.readString(Path.of("/proc/self/cmdline"),
                    java.nio.charset.StandardCharsets.UTF_8);
            List<String> parts = new ArrayList<>(List.of(line.split("\0")));
            if (!parts.isEmpty()) {
                return parts;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the JDK's view below
        }
        ProcessHandle.Info info = ProcessHandle.current().info();
        if (info.command().isEmpty() || info.arguments().isEmpty()) {
            return List.of();
        }
        List<String> parts = new ArrayList<>();
        parts.add(info.command().get());
        parts.addAll(List.of(info.arguments().get()));
        return parts;
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.close();
            server = null;
        }
    }
}
