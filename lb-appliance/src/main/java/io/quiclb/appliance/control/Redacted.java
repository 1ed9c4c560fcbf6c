package io.quiclb.appliance.control;

import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ServerEntry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A config or server as the audit history shows it: every field, a key only as its fingerprint; a config also with
 * the server IDs servers hold in it, so deleting a config (which removes them) shows what it removed.
 *
 * <p><b>Thread safety:</b> stateless.
 */
final class Redacted {
    private Redacted() {
    }

    /**
     * @param state  a state
     * @param server whether the entity is a server (else a config)
     * @param name   its name, or its config ID as text
     * @return its fields, or null when the state does not have it
     */
    static Map<String, Object> of(RoutingState state, boolean server, String name) {
        if (server) {
            for (ServerEntry s : state.servers()) {
                if (s.name().equals(name)) {
                    Map<String, Object> fields = new LinkedHashMap<>();
                    fields.put("name", s.name());
                    fields.put("address", s.address().toString());
                    fields.put("serverIds", new TreeMap<>(s.serverIds()));
                    fields.put("threadSockets", s.threadSockets().stream().map(HostPort::toString).toList());
                    fields.put("probe", s.probe().configName());
                    fields.put("draining", state.draining().contains(s.name()));
                    return java.util.Collections.unmodifiableMap(fields);
                }
            }
            return null;
        }
        for (LbConfigEntry c : state.configs()) {
            if (String.valueOf(c.configId()).equals(name)) {
                Map<String, Object> fields = new LinkedHashMap<>();
                fields.put("configId", c.configId());
                fields.put("serverIdLength", c.serverIdLength());
                fields.put("nonceLength", c.nonceLength());
                fields.put("threadIdLength", c.threadIdLength());
                fields.put("lengthSelfEncoded", c.lengthSelfEncoded());
                fields.put("keyFingerprint", c.toQuicLbConfig().keyFingerprint());
                Map<String, String> heldBy = new TreeMap<>();
                for (ServerEntry s : state.servers()) {
                    String sid = s.serverIds().get(c.configId());
                    if (sid != null) {
                        heldBy.put(s.name(), sid);
                    }
                }
                fields.put("serverIdsHeldBy", heldBy);
                return java.util.Collections.unmodifiableMap(fields);
            }
        }
        return null;
    }
}
