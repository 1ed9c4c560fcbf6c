package io.quiclb.appliance.control;

import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ServerEntry;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Server IDs for a server that registers: in every config it has none in, the lowest server ID (from 1) that no
 * server has in any config of that server ID length, this server's own picks included, so a server ID of a plaintext
 * config is never one of an encrypted config (draft-21 §9.7) and IDs stay unique in each config (§3).
 *
 * <p><b>Thread safety:</b> stateless; the control plane calls it under its lock.
 */
final class ServerIds {
    private ServerIds() {
    }

    /**
     * @param state the state in force
     * @param has   the server IDs the server has already, by config ID
     * @return its server IDs in every config of {@code state}
     * @throws ApiException 409 when a config has no free server ID
     */
    static Map<Integer, String> registered(RoutingState state, Map<Integer, String> has) {
        Map<Integer, String> ids = new TreeMap<>(has);
        for (LbConfigEntry config : state.configs()) {
            if (ids.containsKey(config.configId())) {
                continue;
            }
            String id = free(state, config, ids.values());
            if (id == null) {
                throw new ApiException(ApiException.CONFLICT, List.of("serverIds[" + config.configId() + "]: config "
                        + config.configId() + " has no free server ID of " + config.serverIdLength() + " octet(s)"));
            }
            ids.put(config.configId(), id);
        }
        return ids;
    }

    /** @return the lowest free server ID for {@code config} in hex, or null when none is */
    private static String free(RoutingState state, LbConfigEntry config, Collection<String> picked) {
        Set<String> used = new HashSet<>();
        for (String id : picked) {
            used.add(id.toLowerCase(Locale.ROOT));
        }
        for (LbConfigEntry sameLength : state.configs()) {
            if (!sameLength.serverIdLength().equals(config.serverIdLength())) {
                continue;
            }
            for (ServerEntry other : state.servers()) {
                String id = other.serverIds().get(sameLength.configId());
                if (id != null) {
                    used.add(id.toLowerCase(Locale.ROOT));
                }
            }
        }
        int octets = config.serverIdLength();
        long values = octets >= 7 ? Long.MAX_VALUE : 1L << (8 * octets);
        // Among the first used.size() + 1 candidates one is free, if the config has that many values.
        for (long value = 1; value < values && value <= used.size() + 1; value++) {
            String id = String.format("%0" + (2 * octets) + "x", value);
            if (!used.contains(id)) {
                return id;
            }
        }
        return null;
    }
}
