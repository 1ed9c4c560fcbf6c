package io.quiclb.appliance.forward;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.unix.Errors;
import io.quiclb.appliance.table.AddressKeyTable;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A worker's upstream ports: unconnected UDP sockets, each bound to one local port, each carrying at most one flow
 * per target. A new flow to target T takes the first port that has no flow to T, and a port is opened only when
 * every open one has, so the worker needs as many sockets as the most flows it has to any one target, not one per
 * flow: with n targets, one descriptor and one local port carry up to n flows.
 *
 * <p>A place a flow gave back <em>cools</em> before another flow to the same target gets it: the target may still send
 * the old flow's late packets (a server retransmits its handshake to a client that has gone, e.g. a spoofed one), and
 * replies are matched by port and sender only, so a new flow there would receive them. A cooling place is reused
 * only when no other place is free and no socket can be opened; it stops cooling after between one and two calls of
 * {@link #rotateCooling} (the worker calls it every quarter of {@code forwarder.flowIdleTimeout}).
 *
 * <p>Sockets bind a source address of {@code forwarder.upstreamSources} (taken in turn; each offers its own local
 * port range) or, without them, the wildcard address, with port 0 so the kernel picks a free port. A new socket
 * needs a unit of the shared {@link SocketBudget}; after the kernel refuses to bind one (every local port in use) no
 * new socket of that address family is tried for {@value #PORTS_BACKOFF_MILLIS} ms, so a flood does not pay for a
 * failing bind per datagram. Trailing sockets without flows are closed by {@link #closeIdle}, except while a takeover
 * hands them over ({@link #setReading}).
 *
 * <p><b>Thread safety:</b> not thread-safe; used only on its worker's event loop. The socket budget is shared.
 */
final class UpstreamPorts {
    static final long PORTS_BACKOFF_MILLIS = 100;
    static final long ERROR_BACKOFF_MILLIS = 1000;
    private static final int EADDRINUSE = 98;
    private static final int MAX_TARGETS = 65_536;
    private static final byte[] NO_ID = new byte[0];

    private final PortOpener opener;
    private final SocketBudget budget;
    private final Family ipv4;
    private final Family ipv6;
    private final AddressKeyTable<TargetPorts> targets = new AddressKeyTable<>(MAX_TARGETS);
    private ForwarderCounter failure;
    private Throwable failureCause;
    private boolean reading = true;

    /**
     * @param opener  opens sockets
     * @param budget  the sockets all workers may hold
     * @param sources source addresses to bind; empty for the wildcard of each family
     */
    UpstreamPorts(PortOpener opener, SocketBudget budget, List<InetAddress> sources) {
        this.opener = opener;
        this.budget = budget;
        List<InetAddress> v4 = new ArrayList<>();
        List<InetAddress> v6 = new ArrayList<>();
        for (InetAddress source : sources) {
            (source instanceof Inet6Address ? v6 : v4).add(source);
        }
        this.ipv4 = new Family(false, v4.isEmpty() ? List.of(wildcard(false)) : v4);
        this.ipv6 = new Family(true, v6.isEmpty() ? List.of(wildcard(true)) : v6);
    }

    /**
     * A port for a new flow to {@code target}, opening one when every open port has a flow to it.
     *
     * @param now monotonic nanoseconds
     * @return the port, its flow count and the target's set already taken; or null, with {@link #failure()} set
     */
    UpstreamPort acquire(InetSocketAddress target, long now) {
        TargetPorts inUse = target(target, now);
        if (inUse == null) {
            failure = ForwarderCounter.FLOW_OPEN_FAILED_ERROR;
            failureCause = null;
            return null;
        }
        Family family = target.getAddress() instanceof Inet6Address ? ipv6 : ipv4;
        int free = inUse.firstFree(family.size, true);
        UpstreamPort port = free < family.size ? family.ports[free] : family.open(now);
        if (port == null) {
            // No new socket: a place still cooling rather than no flow at all.
            int cooling = inUse.firstFree(family.size, false);
            if (cooling >= family.size) {
                return null;
            }
            port = family.ports[cooling];
        }
        inUse.set(port.familyIndex);
        port.flows++;
        return port;
    }

    /**
     * Adopts a socket handed over by the appliance taken over, at the place it had there: each family's places come
     * in order (0, 1, ...), so the places of the flows handed over stay valid. Takes a unit of the socket budget.
     *
     * @param port the socket's number there ({@link UpstreamPort#index})
     * @param fd   its descriptor, the port's from now on (closed if it cannot be adopted)
     * @return the port
     * @throws Exception when the place is out of order, the budget is spent, or the transport cannot adopt it
     */
    UpstreamPort adopt(int port, int fd) throws Exception {
        boolean v6 = (port & 1) == 1;
        Family family = v6 ? ipv6 : ipv4;
        int place = port >>> 1;
        if (place != family.size || !budget.tryAcquire()) {
            new io.netty.channel.unix.FileDescriptor(fd).close();
            throw new IllegalStateException(place != family.size ? "upstream socket #" + port + " out of order"
                    : "the upstream socket budget is spent");
        }
        UpstreamPort adopted = new UpstreamPort(place, v6);
        try {
            adopted.channel = opener.adopt(adopted, fd);
        } catch (Exception e) {
            budget.release();
            throw e;
        }
        family.add(adopted);
        return adopted;
    }

    /**
     * Gives a flow handed over its place on an adopted port.
     *
     * @return false when a flow to that target already holds the place (it is not given twice)
     */
    boolean take(UpstreamPort port, InetSocketAddress target) {
        TargetPorts inUse = target(target, 0);
        if (inUse == null || inUse.isSet(port.familyIndex)) {
            return false;
        }
        inUse.set(port.familyIndex);
        port.flows++;
        return true;
    }

    /**
     * After a takeover: every place on the adopted ports that no flow handed over holds starts cooling for each
     * target, since the appliance taken over may have given it back moments ago and the target's late replies to
     * that flow may still come (the cooling itself is not handed over).
     *
     * @param targets the targets of the route table in force
     */
    void coolAdopted(java.util.Collection<InetSocketAddress> targets) {
        for (InetSocketAddress target : targets) {
            TargetPorts inUse = target(target, 0);
            if (inUse == null) {
                continue;
            }
            Family family = target.getAddress() instanceof Inet6Address ? ipv6 : ipv4;
            for (int place = 0; place < family.size; place++) {
                if (!inUse.isSet(place)) {
                    inUse.cool(place);
                }
            }
        }
    }

    /** @return the port numbered {@code port} ({@link UpstreamPort#index}), or null when none is open there */
    UpstreamPort port(int port) {
        Family family = (port & 1) == 1 ? ipv6 : ipv4;
        int place = port >>> 1;
        return place < family.size ? family.ports[place] : null;
    }

    /**
     * @return every socket open now, each family's in place order, with its bound address and descriptor (the
     *         transport's sockets must have descriptors: epoll or io_uring)
     */
    List<NatFlows.UpstreamSocket> sockets() {
        List<NatFlows.UpstreamSocket> sockets = new ArrayList<>();
        for (Family family : new Family[] {ipv4, ipv6}) {
            for (int i = 0; i < family.size; i++) {
                UpstreamPort port = family.ports[i];
                sockets.add(new NatFlows.UpstreamSocket(port.index, (InetSocketAddress) port.channel.localAddress(),
                        ((io.netty.channel.unix.UnixChannel) port.channel).fd().intValue()));
            }
        }
        return sockets;
    }

    /**
     * Stops or resumes reading replies on every socket (a takeover hands them to the new appliance). While stopped,
     * {@link #closeIdle} closes nothing: a socket handed over must keep its descriptor until the new appliance has it.
     */
    void setReading(boolean read) {
        reading = read;
        for (Family family : new Family[] {ipv4, ipv6}) {
            for (int i = 0; i < family.size; i++) {
                family.ports[i].channel.config().setAutoRead(read);
            }
        }
    }

    /** Ages the places flows gave back: those that cooled for a whole period are free again. */
    void rotateCooling() {
        targets.forEach(TargetPorts::rotateCooling);
    }

    /** Gives back a flow's place on its port. */
    void release(UpstreamPort port, InetSocketAddress target) {
        TargetPorts inUse = targets.get(null, 0, target, NO_ID, 0, 0, 0);
        if (inUse != null) {
            inUse.clear(port.familyIndex);
        }
        port.flows--;
    }

    /**
     * @return whether a GSO send to this target was refused for its path (EMSGSIZE, EINVAL): its flows send
     *         datagram by datagram
     */
    boolean gsoRefused(InetSocketAddress target) {
        TargetPorts inUse = targets.get(null, 0, target, NO_ID, 0, 0, 0);
        return inUse != null && inUse.gsoRefused;
    }

    /** Marks a target whose path refused a GSO send. */
    void refuseGso(InetSocketAddress target) {
        TargetPorts inUse = target(target, 0);
        if (inUse != null) {
            inUse.gsoRefused = true;
        }
    }

    /** @return why the last {@link #acquire} failed: a {@code FLOW_OPEN_FAILED_*} counter */
    ForwarderCounter failure() {
        return failure;
    }

    /** @return the exception behind the last {@link ForwarderCounter#FLOW_OPEN_FAILED_ERROR}, or null */
    Throwable failureCause() {
        return failureCause;
    }

    /**
     * Closes trailing sockets without flows (each family's highest-numbered ones), giving their descriptors and
     * ports back.
     *
     * @return sockets closed
     */
    int closeIdle() {
        if (!reading) {
            return 0;
        }
        return ipv4.closeIdle() + ipv6.closeIdle();
    }

    /** A closed port's places start over: the next socket at its index has a new local port. */
    private void forgetPlaces(boolean ipv6, int fromIndex) {
        targets.forEach(inUse -> {
            if (inUse.ipv6 == ipv6) {
                inUse.forgetFrom(fromIndex);
            }
        });
    }

    /** @return the sockets open now */
    int open() {
        return ipv4.size + ipv6.size;
    }

    /**
     * Closes every socket; for shutdown.
     *
     * @return their close futures
     */
    List<ChannelFuture> closeAll() {
        List<ChannelFuture> closing = new ArrayList<>();
        ipv4.closeAll(closing);
        ipv6.closeAll(closing);
        targets.clear();
        return closing;
    }

    private TargetPorts target(InetSocketAddress target, long now) {
        TargetPorts inUse = targets.get(null, 0, target, NO_ID, 0, 0, now);
        if (inUse == null) {
            inUse = new TargetPorts(target.getAddress() instanceof Inet6Address);
            if (!targets.put(null, 0, target, NO_ID, 0, 0, inUse, now)) {
                return null;
            }
        }
        return inUse;
    }

    private static InetAddress wildcard(boolean ipv6) {
        try {
            return InetAddress.getByAddress(new byte[ipv6 ? 16 : 4]);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean addressInUse(Throwable cause) {
        return cause instanceof BindException
                || cause instanceof Errors.NativeIoException native_ && native_.expectedErr() == -EADDRINUSE;
    }

    /** The sockets of one address family. */
    private final class Family {
        final boolean ipv6;
        final InetAddress[] sources;
        UpstreamPort[] ports = new UpstreamPort[16];
        int size;
        int nextSource;
        long noNewPortsUntil;
        boolean backingOff;

        Family(boolean ipv6, List<InetAddress> sources) {
            this.ipv6 = ipv6;
            this.sources = sources.toArray(new InetAddress[0]);
        }

        UpstreamPort open(long now) {
            if (backingOff && now - noNewPortsUntil < 0) {
                return null; // failure still says why
            }
            backingOff = false;
            if (!budget.tryAcquire()) {
                failure = ForwarderCounter.FLOW_OPEN_FAILED_DESCRIPTORS;
                failureCause = null;
                return null;
            }
            UpstreamPort port = new UpstreamPort(size, ipv6);
            for (int attempt = 0; attempt < sources.length; attempt++) {
                InetAddress source = sources[nextSource];
                nextSource = (nextSource + 1) % sources.length;
                Channel channel;
                try {
                    channel = opener.open(port, new InetSocketAddress(source, 0));
                } catch (Exception e) {
                    if (addressInUse(e)) {
                        failure = ForwarderCounter.FLOW_OPEN_FAILED_PORTS;
                        failureCause = e;
                        continue; // the next source address may have ports left
                    }
                    failure = ForwarderCounter.FLOW_OPEN_FAILED_ERROR;
                    failureCause = e;
                    break;
                }
                port.channel = channel;
                add(port);
                return port;
            }
            budget.release();
            backingOff = true;
            noNewPortsUntil = now + TimeUnit.MILLISECONDS.toNanos(
                    failure == ForwarderCounter.FLOW_OPEN_FAILED_PORTS ? PORTS_BACKOFF_MILLIS : ERROR_BACKOFF_MILLIS);
            return null;
        }

        void add(UpstreamPort port) {
            if (size == ports.length) {
                ports = Arrays.copyOf(ports, size * 2);
            }
            ports[size++] = port;
        }

        int closeIdle() {
            int closed = 0;
            while (size > 0 && ports[size - 1].flows == 0) {
                UpstreamPort port = ports[--size];
                ports[size] = null;
                port.channel.close();
                budget.release();
                closed++;
            }
            if (closed > 0) {
                forgetPlaces(ipv6, size);
            }
            return closed;
        }

        void closeAll(List<ChannelFuture> closing) {
            for (int i = 0; i < size; i++) {
                closing.add(ports[i].channel.close());
                ports[i] = null;
                budget.release();
            }
            size = 0;
        }
    }
}
