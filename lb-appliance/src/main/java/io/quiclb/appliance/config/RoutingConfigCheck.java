package io.quiclb.appliance.config;

import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.net.InetSocketAddress;

/**
 * The rules that span entries of {@code quicLb.configs} and {@code servers}: every configuration is valid
 * QUIC-LB (draft-21 §5.3), config IDs and server names are unique, every server ID has its configuration's length
 * and belongs to one server only within that configuration, no server ID of a plaintext configuration is also a
 * server ID in an encrypted one (§9.7), thread sockets fit the thread ID space, and every server address and thread
 * socket is a socket a server can have ({@link TargetRules}).
 *
 * <p>Each problem is a {@link Problem}, which config.yml and the API each name in their own terms.
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class RoutingConfigCheck {
    private RoutingConfigCheck() {
    }

    /**
     * Listeners must be distinct addresses. A wildcard ({@code 0.0.0.0:443}, {@code [::]:443}) is allowed: the
     * forwarder gives each destination address behind it a socket of its own, so replies still leave from the
     * address the client sent to.
     *
     * @param listeners the forwarder.listeners list
     * @return every problem found
     */
    public static List<String> listenerProblems(List<HostPort> listeners) {
        List<String> problems = new ArrayList<>();
        Set<java.net.InetSocketAddress> seen = new HashSet<>();
        for (int i = 0; i < listeners.size(); i++) {
            HostPort listener = listeners.get(i);
            String path = "forwarder.listeners[" + i + "]";
            if (listener == null) {
                continue;
            }
            java.net.InetSocketAddress address;
            try {
                address = listener.resolve();
            } catch (IllegalArgumentException e) {
                problems.add(path + ": " + e.getMessage());
                continue;
            }
            if (address.getPort() != 0 && !seen.add(address)) {
                problems.add(path + ": must be unique: " + listener);
            }
        }
        return problems;
    }

    /**
     * @param quicLb  the quicLb section
     * @param servers the servers section
     * @return every problem found, with config.yml's paths; empty when the two sections are consistent
     */
    public static List<String> problems(QuicLbSettings quicLb, List<ServerEntry> servers) {
        return check(quicLb, servers, OwnAddresses.NONE).stream().map(Problem::inConfigYml).toList();
    }

    /**
     * @param quicLb  the quicLb section
     * @param servers the servers section
     * @param own     the appliance's own listeners, which no server may be
     * @return every problem found; empty when the two sections are consistent
     */
    public static List<Problem> check(QuicLbSettings quicLb, List<ServerEntry> servers, OwnAddresses own) {
        List<Problem> problems = new ArrayList<>();
        Map<Integer, QuicLbConfig> configs = new HashMap<>();
        for (int i = 0; i < quicLb.configs().size(); i++) {
            LbConfigEntry entry = quicLb.configs().get(i);
            String name = String.valueOf(entry.configId());
            try {
                QuicLbConfig config = entry.toQuicLbConfig();
                if (configs.putIfAbsent(config.configId(), config) != null) {
                    problems.add(new Problem(false, i, name, ".configId", "must be unique: configId="
                            + config.configId()));
                }
            } catch (IllegalArgumentException e) {
                problems.add(new Problem(false, i, name, "", e.getMessage()));
            }
        }
        Set<String> names = new HashSet<>();
        Map<Integer, Map<String, String>> owners = new HashMap<>();
        Map<InetSocketAddress, String> targets = new HashMap<>();
        for (int i = 0; i < servers.size(); i++) {
            ServerEntry server = servers.get(i);
            Sink sink = new Sink(problems, i, server.name());
            if (!names.add(server.name())) {
                sink.add(".name", "must be unique: name=" + server.name());
            }
            int threadIdLength = 0;
            for (Map.Entry<Integer, String> sid : new java.util.TreeMap<>(server.serverIds()).entrySet()) {
                String sidField = ".serverIds[" + sid.getKey() + "]";
                QuicLbConfig config = configs.get(sid.getKey());
                if (config == null) {
                    sink.add(sidField, "must name a config in quicLb.configs: configId=" + sid.getKey());
                    continue;
                }
                threadIdLength = Math.max(threadIdLength, config.threadIdLength());
                byte[] octets;
                try {
                    octets = Hex.decode("serverId", sid.getValue());
                } catch (IllegalArgumentException e) {
                    sink.add(sidField, e.getMessage());
                    continue;
                }
                if (octets.length != config.serverIdLength()) {
                    sink.add(sidField, "must be " + config.serverIdLength() + " octets (serverIdLength of config "
                            + config.configId() + "): serverId=" + sid.getValue());
                    continue;
                }
                String hex = Hex.encode(octets);
                String owner = owners.computeIfAbsent(sid.getKey(), k -> new HashMap<>()).putIfAbsent(hex,
                        server.name());
                if (owner != null) {
                    sink.add(sidField, "must be unique within config " + sid.getKey() + ": serverId=" + hex
                            + " belongs to " + owner);
                }
            }
            int threadIds = 1 << (8 * threadIdLength);
            if (threadIdLength > 0 && server.threadSockets().size() > threadIds) {
                sink.add(".threadSockets", "must be at most " + threadIds + " (threadIdLength="
                        + threadIdLength + "): threadSockets=" + server.threadSockets().size());
            }
            TargetRules.check(server, own, targets, sink);
        }
        for (int i = 0; i < servers.size(); i++) {
            mixedAllocationProblems(new Sink(problems, i, servers.get(i).name()), servers.get(i), configs, owners);
        }
        return problems;
    }

    /** Where one server's problems go. */
    record Sink(List<Problem> problems, int index, String name) {
        void add(String field, String rule) {
            problems.add(new Problem(true, index, name, field, rule));
        }
    }

    /**
     * draft-21 §9.7: four-pass encryption is open to distinguishing attacks given known plaintext, so deployments
     * that mix plaintext and encrypted configurations "MUST use different server ID allocations for the clear text
     * and the encrypted versions": a server ID that plaintext CIDs show to everyone must not be one that encrypted
     * CIDs hide, whichever server holds it.
     */
    private static void mixedAllocationProblems(Sink sink, ServerEntry server, Map<Integer, QuicLbConfig> configs,
                                                Map<Integer, Map<String, String>> owners) {
        for (Map.Entry<Integer, String> sid : new java.util.TreeMap<>(server.serverIds()).entrySet()) {
            QuicLbConfig plaintext = configs.get(sid.getKey());
            if (plaintext == null || plaintext.hasKey()) {
                continue;
            }
            String hex;
            try {
                hex = Hex.encode(Hex.decode("serverId", sid.getValue()));
            } catch (IllegalArgumentException e) {
                continue; // reported above
            }
            for (QuicLbConfig encrypted : new java.util.TreeMap<>(configs).values()) {
                if (!encrypted.hasKey() || encrypted.serverIdLength() != plaintext.serverIdLength()) {
                    continue;
                }
                String owner = owners.getOrDefault(encrypted.configId(), Map.of()).get(hex);
                if (owner != null) {
                    sink.add(".serverIds[" + sid.getKey() + "]", "must not be a server ID of an encrypted"
                            + " config (draft-21 §9.7: plaintext and encrypted configs MUST use different server ID"
                            + " allocations): serverId=" + hex + " in plaintext config " + plaintext.configId()
                            + " is " + owner + "'s in encrypted config " + encrypted.configId());
                }
            }
        }
    }
}
