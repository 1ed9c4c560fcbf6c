package io.quiclb.appliance.config;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a server address or thread socket must be: a unicast address with a port, not the wildcard, not port 0, not
 * multicast or the limited broadcast address, not one of the appliance's own listeners (a forwarding loop), not another server's socket, and not a
 * thread socket the same server lists twice. A server's address may also be one of its thread sockets.
 *
 * <p><b>Thread safety:</b> stateless.
 */
final class TargetRules {
    private TargetRules() {
    }

    /**
     * @param server  the server
     * @param own     the appliance's listeners
     * @param targets every socket of the servers checked before, with a description of its owner; this server's are
     *                added
     * @param sink    where problems go
     */
    static void check(ServerEntry server, OwnAddresses own, Map<InetSocketAddress, String> targets,
                      RoutingConfigCheck.Sink sink) {
        Map<InetSocketAddress, String> mine = new HashMap<>();
        InetSocketAddress address = checkOne(".address", server.address(), own, sink);
        if (address != null) {
            mine.put(address, "address");
        }
        List<HostPort> sockets = server.threadSockets();
        for (int i = 0; i < sockets.size(); i++) {
            String field = ".threadSockets[" + i + "]";
            InetSocketAddress socket = checkOne(field, sockets.get(i), own, sink);
            if (socket == null) {
                continue;
            }
            String earlier = mine.get(socket);
            if (earlier != null && !earlier.equals("address")) {
                sink.add(field, "must be unique within the server: " + sockets.get(i) + " is also its " + earlier);
            } else if (earlier == null) {
                mine.put(socket, "threadSockets[" + i + "]");
            }
        }
        for (Map.Entry<InetSocketAddress, String> socket : mine.entrySet()) {
            String owner = targets.putIfAbsent(socket.getKey(), server.name() + "'s " + socket.getValue());
            if (owner != null) {
                sink.add("." + socket.getValue(), "must not be another server's socket: " + socket.getKey()
                        .getAddress().getHostAddress() + ":" + socket.getKey().getPort() + " is " + owner);
            }
        }
    }

    private static boolean isLimitedBroadcast(InetSocketAddress address) {
        byte[] octets = address.getAddress().getAddress();
        return octets.length == 4 && (octets[0] & octets[1] & octets[2] & octets[3]) == (byte) 0xff;
    }

    private static InetSocketAddress checkOne(String field, HostPort target, OwnAddresses own,
                                              RoutingConfigCheck.Sink sink) {
        if (target == null) {
            return null; // @NotNull reports it
        }
        InetSocketAddress address;
        try {
            address = target.resolve();
        } catch (IllegalArgumentException e) {
            sink.add(field, e.getMessage());
            return null;
        }
        if (address.getAddress().isAnyLocalAddress()) {
            sink.add(field, "must not be a wildcard address (0.0.0.0 or [::]): it names no server: " + target);
            return null;
        }
        if (address.getPort() == 0) {
            sink.add(field, "must have a port 1..65535 (port 0 names no server): " + target);
            return null;
        }
        if (address.getAddress().isMulticastAddress() || isLimitedBroadcast(address)) {
            sink.add(field, "must be a unicast address, not multicast or broadcast: " + target);
            return null;
        }
        InetSocketAddress listener = own.listenerAt(address);
        if (listener != null) {
            sink.add(field, "must not be one of the appliance's own listeners (forwarder.listeners has "
                    + listener.getAddress().getHostAddress() + ":" + listener.getPort()
                    + "): datagrams would loop through the appliance: " + target);
            return null;
        }
        return address;
    }
}
