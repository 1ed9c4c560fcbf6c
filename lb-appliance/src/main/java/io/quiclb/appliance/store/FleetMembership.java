package io.quiclb.appliance.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This appliance's entry in the fleet: the key {@code <store.prefix>/appliances/<store.applianceId>}, held by an etcd
 * lease of {@value #LEASE_SECONDS} s, with its ID, version, listeners and the revision of the routing state it
 * applied. The entry goes when the appliance does (its lease is revoked at shutdown, or expires after a crash), so
 * the entries are the live appliances, and the lowest applied revision among them is what the whole fleet routes
 * with (draft-21 §3.1: servers get a config only once every load balancer has it). After an etcd outage longer than
 * the lease, the entry is written again with a new lease.
 *
 * <p><b>Thread safety:</b> the entry is kept on a thread of its own; {@link #members} may be called from any thread.
 */
public final class FleetMembership implements AutoCloseable {
    /** The lease's time to live; the entry is refreshed every second. */
    static final long LEASE_SECONDS = 10;
    private static final Logger LOG = LoggerFactory.getLogger(FleetMembership.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EtcdStateStore store;
    private final String id;
    private final ByteSequence key;
    private final ByteSequence prefix;
    private final Supplier<Map<String, Object>> identity;
    private final LongSupplier applied;
    private final ScheduledExecutorService keeper;
    private long lease;
    private String written;
    private int sinceCheck;

    /**
     * One live appliance of the fleet.
     *
     * @param id              its {@code store.applianceId}
     * @param version         its software version
     * @param listeners       its listeners as bound
     * @param appliedRevision the revision of the routing state it applied
     */
    public record Member(String id, String version, List<String> listeners, long appliedRevision) {
    }

    /**
     * @param store    the fleet store
     * @param id       this appliance's ID in the fleet
     * @param identity its version and listeners, as JSON fields
     * @param applied  the revision it applied ({@code ControlPlane::revision})
     */
    public FleetMembership(EtcdStateStore store, String id, Supplier<Map<String, Object>> identity,
                           LongSupplier applied) {
        this.store = store;
        this.id = id;
        this.prefix = ByteSequence.from(store.prefix() + "/appliances/", StandardCharsets.UTF_8);
        this.key = ByteSequence.from(store.prefix() + "/appliances/" + id, StandardCharsets.UTF_8);
        this.identity = identity;
        this.applied = applied;
        this.keeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "quiclb-fleet");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Writes the entry now (or once etcd answers) and keeps it, every second. */
    public void start() {
        keeper.scheduleWithFixedDelay(this::keep, 0, 1, TimeUnit.SECONDS);
    }

    private void keep() {
        try {
            if (lease != 0 && !alive(lease)) {
                LOG.warn("fleet: the lease of {} expired (etcd was out of reach longer than {} s); registering again",
                        id, LEASE_SECONDS);
                lease = 0;
            }
            if (lease == 0) {
                lease = store.await(store.client().getLeaseClient().grant(LEASE_SECONDS), "lease").getID();
                written = null;
            }
            Map<String, Object> entry = new LinkedHashMap<>(identity.get());
            entry.put("id", id);
            entry.put("appliedRevision", applied.getAsLong());
            String value = JSON.writeValueAsString(entry);
            if (++sinceCheck >= 5) {
                sinceCheck = 0;
                written = mine() ? written : null; // another process with this ID wrote over it, or it expired
            }
            if (!value.equals(written)) {
                store.await(store.client().getKVClient().put(key, ByteSequence.from(value, StandardCharsets.UTF_8),
                        PutOption.builder().withLeaseId(lease).build()), "register");
                written = value;
            }
        } catch (IOException | RuntimeException e) {
            store.unreachable("fleet registration", e);
        }
    }

    private boolean alive(long id) {
        try {
            LeaseKeepAliveResponse response = store.await(store.client().getLeaseClient().keepAliveOnce(id),
                    "lease");
            return response.getTTL() > 0;
        } catch (IOException e) {
            return !String.valueOf(e.getMessage()).contains("not found");
        }
    }

    private boolean mine() throws IOException {
        List<KeyValue> values = store.await(store.client().getKVClient().get(key), "read").getKvs();
        return !values.isEmpty() && values.get(0).getLease() == lease;
    }

    /**
     * @return the live appliances of the fleet, by ID
     * @throws IOException when etcd does not answer
     */
    public List<Member> members() throws IOException {
        List<Member> members = new ArrayList<>();
        for (KeyValue value : store.await(store.client().getKVClient().get(prefix,
                GetOption.builder().isPrefix(true).build()), "read").getKvs()) {
            JsonNode entry = JSON.readTree(value.getValue().getBytes());
            List<String> listeners = new ArrayList<>();
            entry.path("listeners").forEach(listener -> listeners.add(listener.asText()));
            members.add(new Member(entry.path("id").asText(), entry.path("version").asText(), listeners,
                    entry.path("appliedRevision").asLong()));
        }
        return members;
    }

    /** Stops keeping the entry and removes it (revokes its lease), at most 2 s. */
    @Override
    public void close() {
        keeper.shutdownNow();
        try {
            keeper.awaitTermination(2, TimeUnit.SECONDS);
            if (lease != 0) {
                store.client().getLeaseClient().revoke(lease).get(2, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.info("fleet: the entry of {} is left to expire ({})", id, String.valueOf(e));
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
