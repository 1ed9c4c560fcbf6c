package io.quiclb.appliance.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The appliance's own listeners, which no server address or thread socket may be: a server there would forward
 * every datagram back into the appliance, round and round. A wildcard listener ({@code 0.0.0.0:443}) covers its
 * port on every local address: loopback and each interface's.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param listeners      the listeners, resolved (port 0 ones are left out: their port is not known yet)
 * @param localAddresses this host's interface addresses, filled in when a listener is a wildcard
 */
public record OwnAddresses(List<InetSocketAddress> listeners, Set<InetAddress> localAddresses) {
    /** No listeners to check against (unit tests of the routing rules alone). */
    public static final OwnAddresses NONE = new OwnAddresses(List.of(), Set.of());

    /** Copies the collections. */
    public OwnAddresses {
        listeners = List.copyOf(listeners);
        localAddresses = Set.copyOf(localAddresses);
    }

    /**
     * @param listeners forwarder.listeners; those that do not resolve are left out (their own check reports them)
     * @return the addresses they cover
     */
    public static OwnAddresses of(List<HostPort> listeners) {
        List<InetSocketAddress> resolved = new ArrayList<>();
        Set<InetAddress> local = new HashSet<>();
        for (HostPort listener : listeners) {
            try {
                InetSocketAddress address = listener.resolve();
                if (address.getPort() == 0) {
                    continue;
                }
                resolved.add(address);
                if (address.getAddress().isAnyLocalAddress() && local.isEmpty()) {
                    local.addAll(HostInterfaces.addresses(false));
                    local.addAll(HostInterfaces.addresses(true));
                }
            } catch (IllegalArgumentException e) {
                // reported by RoutingConfigCheck.listenerProblems
            }
        }
        return new OwnAddresses(resolved, local);
    }

    /**
     * @param bound the listeners' addresses as bound (ports chosen by the kernel filled in)
     * @return the addresses they cover
     */
    public static OwnAddresses ofBound(List<InetSocketAddress> bound) {
        return of(bound.stream().map(a -> new HostPort(a.getAddress().getHostAddress(), a.getPort())).toList());
    }

    /**
     * @param target a server address or thread socket
     * @return the listener it is, or null when it is none of them
     */
    public InetSocketAddress listenerAt(InetSocketAddress target) {
        for (InetSocketAddress listener : listeners) {
            if (listener.getPort() != target.getPort()) {
                continue;
            }
            InetAddress address = target.getAddress();
            if (listener.getAddress().equals(address) || listener.getAddress().isAnyLocalAddress()
                    && (address.isLoopbackAddress() || localAddresses.contains(address))) {
                return listener;
            }
        }
        return null;
    }
}
