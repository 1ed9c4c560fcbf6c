package io.quiclb.appliance.config;

import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rules that span entries of {@code quicLb.configs} and {@code servers}: every configuration is valid
 * QUIC-LB (draft-21 §5.3), config IDs and server names are unique, every server ID has its configuration's length
 * and belongs to one server only within that configuration, no server ID of a plaintext configuration is also a
 * server ID in an encrypted one (§9.7), and thread sockets fit the thread ID space.
 *
 * <p>Each problem is one line that starts with the YAML path of the offending key.
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
     * @return every problem found; empty when the two sections are consistent
     */
    public static List<String> problems(QuicLbSettings quicLb, List<ServerEntry> servers) {
        List<String> problems = new ArrayList<>();
        Map<Integer, QuicLbConfig> configs = new HashMap<>();
        for (int i = 0; i < quicLb.configs().size(); i++) {
            LbConfigEntry entry = quicLb.configs().get(i);
            String path = "quicLb.configs[" + i + "]";
            try {
                QuicLbConfig config = entry.toQuicLbConfig();
                if (configs.putIfAbsent(config.configId(), config) != null) {
                    problems.add(path + ".configId: must be unique: configId=" + config.configId());
                }
            } catch (IllegalArgumentException e) {
                problems.add(path + ": " + e.getMessage());
            }
        }
        Set<String> names = new HashSet<>();
        Map<Integer, Map<String, String>> owners = new HashMap<>();
        for (int i = 0; i < servers.size(); i++) {
            ServerEntry server = servers.get(i);
            String path = "servers[" + i + "]";
            if (!names.add(server.name())) {
                problems.add(path + ".name: must be unique: name=" + server.name());
            }
            int threadIdLength = 0;
            for (Map.Entry<Integer, String> sid : server.serverIds().entrySet()) {
                String sidPath = path + ".serverIds[" + sid.getKey() + "]";
                QuicLbConfig config = configs.get(sid.getKey());
                if (config == null) {
                    problems.add(sidPath + ": must name a config in quicLb.configs: configId=" + sid.getKey());
                    continue;
                }
                threadIdLength = Math.max(threadIdLength, config.threadIdLength());
                byte[] octets;
                try {
                    octets = Hex.decode("serverId", sid.getValue());
                } catch (IllegalArgumentException e) {
                    problems.add(sidPath + ": " + e.getMessage());
                    continue;
                }
                if (octets.length != config.serverIdLength()) {
                    problems.add(sidPath + ": must be " + config.serverIdLength() + " octets (serverIdLength of config "
                            + config.configId() + "): serverId=" + sid.getValue());
                    continue;
                }
                String hex = Hex.encode(octets);
                String owner = owners.computeIfAbsent(sid.getKey(), k -> new HashMap<>()).putIfAbsent(hex,
                        server.name());
                if (owner != null) {
                    problems.add(sidPath + ": must be unique within config " + sid.getKey() + ": serverId=" + hex
                            + " belongs to " + owner);
                }
            }
            int threadIds = 1 << (8 * threadIdLength);
            if (threadIdLength > 0 && server.threadSockets().size() > threadIds) {
                problems.add(path + ".threadSockets: must be at most " + threadIds + " (threadIdLength="
                        + threadIdLength + "): threadSockets=" + server.threadSockets().size());
            }
        }
        for (int i = 0; i < servers.size(); i++) {
            problems.addAll(mixedAllocationProblems("servers[" + i + "]", servers.get(i), configs, owners));
        }
        return problems;
    }

    /**
     * draft-21 §9.7: four-pass encryption is open to distinguishing attacks given known plaintext, so deployments
     * that mix plaintext and encrypted configurations "MUST use different server ID allocations for the clear text
     * and the encrypted versions": a server ID that plaintext CIDs show to everyone must not be one that encrypted
     * CIDs hide, whichever server holds it.
     */
    private static List<String> mixedAllocationProblems(String path, ServerEntry server,
                                                        Map<Integer, QuicLbConfig> configs,
                                                        Map<Integer, Map<String, String>> owners) {
        List<String> problems = new ArrayList<>();
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
                    problems.add(path + ".serverIds[" + sid.getKey() + "]: must not be a server ID of an encrypted"
                            + " config (draft-21 §9.7: plaintext and encrypted configs MUST use different server ID"
                            + " allocations): serverId=" + hex + " in plaintext config " + plaintext.configId()
                            + " is " + owner + "'s in encrypted config " + encrypted.configId());
                }
            }
        }
        return problems;
    }
}
