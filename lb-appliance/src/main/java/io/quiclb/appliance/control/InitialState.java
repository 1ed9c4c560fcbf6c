package io.quiclb.appliance.control;

import io.quiclb.appliance.config.OwnAddresses;
import io.quiclb.appliance.config.Problem;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.RoutingConfigCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state to start with: the state file's when it exists (validated like any change, against the listeners
 * too), else config.yml's {@code quicLb} and {@code servers}; and where the two differ, for {@code check} and a
 * warning at startup.
 *
 * <p><b>Thread safety:</b> stateless; called once at startup or by {@code check}.
 */
public final class InitialState {
    private static final Logger LOG = LoggerFactory.getLogger(InitialState.class);

    private InitialState() {
    }

    /**
     * The initial state: the state file's when it exists, else the seeds from config.yml. When the state file wins
     * over seeds that differ from it, says so once in the log.
     *
     * @param store the state file
     * @param seeds configurations and servers from config.yml
     * @param own   the appliance's listeners, which no server may be
     * @return the state to start with
     * @throws IllegalStateException when the state file exists but is unreadable or invalid
     */
    public static RoutingState of(StateStore store, RoutingState seeds, OwnAddresses own) {
        Optional<RoutingState> stored = loadState(store, own);
        if (stored.isPresent()) {
            RoutingState state = stored.get();
            LOG.info("state from {} ({} config(s), {} server(s)); config.yml's quicLb and servers are seeds only",
                    store.file(), state.configs().size(), state.servers().size());
            List<String> differences = seedDifferences(seeds, state);
            if (!differences.isEmpty()) {
                LOG.warn("config.yml's quicLb and servers differ from the state file {}, which wins: {}. Make the"
                        + " change through the API, or move the state file away to start from config.yml",
                        store.file(), String.join("; ", differences));
            }
            return state;
        }
        return seeds;
    }

    /**
     * @param store the state file
     * @param own   the appliance's listeners, which no server may be
     * @return the state file's state, validated; empty when there is no state file
     * @throws IllegalStateException when the state file exists but is unreadable or invalid
     */
    public static Optional<RoutingState> loadState(StateStore store, OwnAddresses own) {
        Optional<RoutingState> stored = store.load();
        if (stored.isPresent()) {
            RoutingState state = stored.get();
            List<String> problems = RoutingConfigCheck.check(new QuicLbSettings(state.configs()), state.servers(),
                    own).stream().map(Problem::inApi).toList();
            if (!problems.isEmpty()) {
                throw new IllegalStateException("state file " + store.file() + " is not a valid state: "
                        + String.join("; ", problems) + " (fix or move it away; it is never replaced automatically)");
            }
        }
        return stored;
    }

    /**
     * @param state  a stored state
     * @param own    the appliance's listeners, which no server may be
     * @param source where it is stored, for the message
     * @return the state, when it is valid
     * @throws IllegalStateException naming the source and every problem when it is not
     */
    public static RoutingState validated(RoutingState state, OwnAddresses own, String source) {
        List<String> problems = RoutingConfigCheck.check(new QuicLbSettings(state.configs()), state.servers(), own)
                .stream().map(Problem::inApi).toList();
        if (!problems.isEmpty()) {
            throw new IllegalStateException(source + " is not a valid state for this appliance: "
                    + String.join("; ", problems));
        }
        return state;
    }

    /**
     * @param seeds  config.yml's quicLb and servers
     * @param stored the state file's
     * @return each config ID and server name on which they differ, e.g. {@code servers/s2: only in config.yml}
     */
    public static List<String> seedDifferences(RoutingState seeds, RoutingState stored) {
        List<String> differences = new ArrayList<>();
        java.util.TreeSet<Integer> ids = new java.util.TreeSet<>();
        seeds.configs().forEach(c -> ids.add(c.configId()));
        stored.configs().forEach(c -> ids.add(c.configId()));
        for (int id : ids) {
            differ(differences, "configs/" + id, find(seeds.configs(), c -> c.configId() == id),
                    find(stored.configs(), c -> c.configId() == id));
        }
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        seeds.servers().forEach(s -> names.add(s.name()));
        stored.servers().forEach(s -> names.add(s.name()));
        for (String name : names) {
            differ(differences, "servers/" + name, find(seeds.servers(), s -> s.name().equals(name)),
                    find(stored.servers(), s -> s.name().equals(name)));
        }
        return differences;
    }

    private static <T> T find(List<T> list, java.util.function.Predicate<T> match) {
        return list.stream().filter(match).findFirst().orElse(null);
    }

    private static void differ(List<String> differences, String what, Object seed, Object stored) {
        if (seed == null) {
            differences.add(what + ": only in the state file");
        } else if (stored == null) {
            differences.add(what + ": only in config.yml");
        } else if (!seed.equals(stored)) {
            differences.add(what + ": differs");
        }
    }

}
