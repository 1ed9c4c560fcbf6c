package io.quiclb.appliance.route;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * One backend server as the data plane sees it: its name, its address and thread sockets, resolved once, and its
 * per-worker counters. A handle lives as long as the server exists with the same addresses; route tables built
 * while it exists refer to the same instance, so a worker can tell that a remembered routing decision still
 * names a live server by identity ({@link RouteTable#isLive}).
 *
 * <p><b>Thread safety:</b> the fields are immutable; each worker writes only its own slot of {@link #forwarded}.
 */
public final class ServerHandle {
    private final String name;
    private final InetSocketAddress address;
    private final InetSocketAddress[] threadSockets;
    private final Placement addressPlacement;
    private final Placement[] threadPlacements;
    private final Placement[] firstFlightPlacements;
    private final int slot;
    private final WorkerCounts forwarded;

    /**
     * @param name          the server's name
     * @param address       where its datagrams go
     * @param threadSockets thread ID i → socket i
     * @param slot          a small integer unique among live servers, stable for this handle's life
     * @param workers       number of forwarder workers that count datagrams for it
     */
    public ServerHandle(String name, InetSocketAddress address, List<InetSocketAddress> threadSockets, int slot,
                        int workers) {
        this.name = name;
        this.address = address;
        this.threadSockets = threadSockets.toArray(new InetSocketAddress[0]);
        this.addressPlacement = new Placement(this, address);
        this.threadPlacements = new Placement[this.threadSockets.length];
        for (int i = 0; i < threadPlacements.length; i++) {
            threadPlacements[i] = this.threadSockets[i].equals(address) ? addressPlacement
                    : new Placement(this, this.threadSockets[i]);
        }
        this.firstFlightPlacements = threadPlacements.length == 0 ? new Placement[] {addressPlacement}
                : threadPlacements;
        this.slot = slot;
        this.forwarded = new WorkerCounts(workers);
    }

    /** @return the server's name */
    public String name() {
        return name;
    }

    /** @return its address */
    public InetSocketAddress address() {
        return address;
    }

    /**
     * The target for a datagram with this thread ID: the thread's socket when the server has one for it, else the
     * server's address.
     *
     * @param threadId a decoded thread ID, or a negative value for none
     * @return the target address
     */
    public InetSocketAddress target(int threadId) {
        return threadId >= 0 && threadId < threadSockets.length ? threadSockets[threadId] : address;
    }

    /**
     * The placement for a datagram with this thread ID, built with the handle (no allocation): the thread's socket
     * when the server has one for it, else the server's address.
     *
     * @param threadId a decoded thread ID, or a negative value for none
     * @return the placement; its target is {@link #target(int)}
     */
    public Placement placement(int threadId) {
        return threadId >= 0 && threadId < threadPlacements.length ? threadPlacements[threadId] : addressPlacement;
    }

    /**
     * @return every socket of this server that may take a first flight, as placements built with the handle: one
     *         per thread socket, or the address alone when it has none
     */
    public List<Placement> placements() {
        return List.of(firstFlightPlacements);
    }

    /**
     * @param target one of this server's sockets
     * @return the placement whose target it is (the address's when a thread socket shares it), or null when the
     *         server has no such socket
     */
    public Placement placementFor(InetSocketAddress target) {
        if (address.equals(target)) {
            return addressPlacement;
        }
        for (Placement placement : threadPlacements) {
            if (placement.target().equals(target)) {
                return placement;
            }
        }
        return null;
    }

    /** @return a copy of the thread sockets */
    public List<InetSocketAddress> threadSockets() {
        return List.of(threadSockets);
    }

    /** @return the slot of this handle in route tables */
    public int slot() {
        return slot;
    }

    /** @return datagrams forwarded to this server, per worker */
    public WorkerCounts forwarded() {
        return forwarded;
    }

    /**
     * @param otherName    a server's name
     * @param otherAddress its address
     * @param otherSockets its thread sockets
     * @return whether this handle has exactly that name and those addresses (so a new table may keep it)
     */
    boolean sameAddresses(String otherName, InetSocketAddress otherAddress, List<InetSocketAddress> otherSockets) {
        return name.equals(otherName) && address.equals(otherAddress) && threadSockets().equals(otherSockets);
    }

    @Override
    public String toString() {
        return name + "@" + address.getHostString() + ":" + address.getPort();
    }
}
