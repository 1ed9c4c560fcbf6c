package io.quiclb.appliance.store;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.quiclb.appliance.config.StoreSettings;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.control.RoutingState;
import io.quiclb.appliance.control.StaleRevisionException;
import io.quiclb.appliance.control.StateBackend;
import io.quiclb.appliance.control.StateStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routing state in etcd, shared by the appliances of a fleet. One key, {@code <store.prefix>/state}, holds the
 * whole state in the state file's JSON form, so each revision of the key is one complete state: every API write is
 * one compare-and-swap on the key's modification revision (an etcd transaction), which a write based on an older
 * revision loses (409, nothing written), and every appliance applies each revision as one route-table swap
 * ({@link ControlPlane#applyStored}). It watches the key (a watch that ends is started again), and reads it every
 * {@code store.reconcileEvery} as well, so it converges after a watch that broke (etcd restarted, a partition healed). With etcd unreachable, writes fail
 * (503, nothing written: requests do not wait for a connection) and routing goes on with the last revision applied.
 *
 * <p>The first appliance of a fleet seeds the key from its config.yml ({@code quicLb}, {@code servers}); later ones
 * start from what the key holds. The key holds the configs' keys: protect it with etcd's authentication
 * ({@code store.username}) and keep etcd's network private.
 *
 * <p><b>Thread safety:</b> {@link #write} runs under the control plane's lock; watch events and the periodic read are
 * handled on this store's own thread, which hands states to the synchronized {@link ControlPlane#applyStored}; jetcd's
 * I/O threads never wait for the control plane. jetcd's client is thread-safe.
 */
public final class EtcdStateStore implements StateBackend, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdStateStore.class);
    /** Warnings about an unreachable etcd are logged at most this often. */
    private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Client client;
    private final KV kv;
    private final ByteSequence key;
    private final long timeoutMillis;
    private final long reconcileMillis;
    private final String description;
    private final String prefix;
    private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
    private final AtomicLong lastInvalid = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
    private ScheduledExecutorService reconciler;
    /** Whether the last request to etcd failed: the next read that works says so once. */
    private volatile boolean outOfReach;
    private Watch.Watcher watcher;

    /**
     * The stored state and its revision.
     *
     * @param revision the key's modification revision
     * @param state    the state
     */
    public record Stored(long revision, RoutingState state) {
    }

    private EtcdStateStore(StoreSettings settings) {
        var builder = Client.builder().endpoints(settings.endpoints().toArray(new String[0]))
                // A request fails at once while etcd is unreachable, rather than waiting for it: a write that timed
                // out must not be applied later behind the API's back.
                .waitForReady(false)
                .connectTimeout(java.time.Duration.ofMillis(settings.requestTimeout().toMilliseconds()));
        if (settings.username() != null) {
            builder.user(bytes(settings.username())).password(bytes(settings.password()));
        }
        if (settings.tls()) {
            try {
                builder.sslContext(tls -> {
                    if (settings.caFile() != null) {
                        tls.trustManager(new java.io.File(settings.caFile()));
                    }
                    if (settings.certFile() != null) {
                        tls.keyManager(new java.io.File(settings.certFile()), new java.io.File(settings.keyFile()));
                    }
                });
            } catch (javax.net.ssl.SSLException | RuntimeException e) {
                throw new IllegalStateException("store: the TLS settings cannot be used (caFile, certFile, keyFile):"
                        + " " + e.getMessage(), e);
            }
        }
        this.client = builder.build();
        this.kv = client.getKVClient();
        this.key = bytes(settings.prefix() + "/state");
        this.timeoutMillis = settings.requestTimeout().toMilliseconds();
        this.reconcileMillis = settings.reconcileEvery().toMilliseconds();
        this.description = "etcd " + settings.prefix() + "/state at " + String.join(",", settings.endpoints());
        this.prefix = settings.prefix();
    }

    /**
     * @param settings the store section ({@code type: etcd})
     * @return a store (no request made yet)
     * @throws IllegalStateException naming the settings when the TLS files cannot be used
     */
    public static EtcdStateStore connect(StoreSettings settings) {
        return new EtcdStateStore(settings);
    }

    @Override
    public String describe() {
        return description;
    }

    /**
     * @return the state stored now, or empty when the fleet has none yet
     * @throws IOException           when etcd does not answer
     * @throws IllegalStateException when what is stored is not a valid state
     */
    public Optional<Stored> load() throws IOException {
        GetResponse response = await(kv.get(key), "read");
        List<KeyValue> values = response.getKvs();
        if (values.isEmpty()) {
            return Optional.empty();
        }
        KeyValue value = values.get(0);
        return Optional.of(new Stored(value.getModRevision(), StateStore.fromJson(value.getValue().getBytes(),
                description + " revision " + value.getModRevision())));
    }

    /**
     * The state as it was at an earlier revision of etcd: what every appliance that applied at least that revision
     * routes with (etcd keeps old revisions until they are compacted).
     *
     * @param revision an etcd revision
     * @return the state stored at that revision, or empty when there was none then
     * @throws IOException when etcd does not answer, or has compacted that revision away
     */
    public Optional<RoutingState> stateAt(long revision) throws IOException {
        GetResponse response = await(kv.get(key, GetOption.builder().withRevision(revision).build()), "read");
        if (response.getKvs().isEmpty()) {
            return Optional.empty();
        }
        KeyValue value = response.getKvs().get(0);
        return Optional.of(StateStore.fromJson(value.getValue().getBytes(), description + " revision "
                + value.getModRevision()));
    }

    /** @return the key prefix of the fleet */
    String prefix() {
        return prefix;
    }

    /** @return the etcd client, shared with the fleet membership */
    Client client() {
        return client;
    }

    /**
     * The state to start with: what the fleet stores, or, for the first appliance of a fleet, {@code seeds}, written
     * then (if another appliance seeded the fleet at the same moment, its state wins).
     *
     * @param seeds config.yml's quicLb and servers
     * @return the stored state
     * @throws IOException when etcd does not answer
     */
    public Stored loadOrSeed(RoutingState seeds) throws IOException {
        Optional<Stored> stored = load();
        if (stored.isPresent()) {
            LOG.info("{}: revision {} ({} config(s), {} server(s)); config.yml's quicLb and servers are not used",
                    description, stored.get().revision(), stored.get().state().configs().size(),
                    stored.get().state().servers().size());
            return stored.get();
        }
        try {
            long revision = write(0, seeds);
            LOG.info("{}: empty; seeded from config.yml at revision {}", description, revision);
            return new Stored(revision, seeds);
        } catch (StaleRevisionException e) {
            return load().orElseThrow(() -> new IOException(description + " was seeded and deleted at once"));
        }
    }

    @Override
    public long write(long expected, RoutingState next) throws StaleRevisionException, IOException {
        Cmp unchanged = expected == 0 ? new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0))
                : new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(expected));
        TxnResponse response = await(kv.txn().If(unchanged)
                .Then(Op.put(key, ByteSequence.from(StateStore.toJson(next)), PutOption.DEFAULT))
                .Else(Op.get(key, GetOption.DEFAULT)).commit(), "write");
        if (response.isSucceeded()) {
            return response.getHeader().getRevision();
        }
        List<KeyValue> current = response.getGetResponses().isEmpty() ? List.of()
                : response.getGetResponses().get(0).getKvs();
        throw new StaleRevisionException(expected, current.isEmpty() ? 0 : current.get(0).getModRevision());
    }

    /**
     * Follows the fleet: applies every later revision to {@code control}, from the watch as it is written and from a
     * read every {@code store.reconcileEvery}.
     *
     * @param control the control plane
     * @param from    the revision it holds
     */
    public synchronized void follow(ControlPlane control, long from) {
        reconciler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "quiclb-store");
            thread.setDaemon(true);
            return thread;
        });
        watch(control, from);
        reconciler.scheduleWithFixedDelay(() -> reconcile(control), reconcileMillis, reconcileMillis,
                TimeUnit.MILLISECONDS);
    }

    /**
     * Watches the key from the revision after {@code from}. Events are handed to this store's own thread: jetcd calls
     * the listener on the client's I/O thread, which must not wait for the control plane's lock (a write holding it
     * waits for that thread). A watch that ends (an error jetcd gives up on: compaction, no leader, a restored etcd)
     * is started again a second later from the revision in force, after a read.
     */
    private synchronized void watch(ControlPlane control, long from) {
        if (reconciler.isShutdown()) {
            return;
        }
        if (watcher != null) {
            watcher.close();
        }
        Watch.Watcher current = client.getWatchClient().watch(key, WatchOption.builder().withRevision(from + 1).build(),
                Watch.listener(response -> reconciler.execute(() -> apply(control, response)),
                        error -> rewatch(control, "watch", error), () -> rewatch(control, "watch", null)));
        watcher = current;
    }

    private void rewatch(ControlPlane control, String what, Throwable error) {
        if (error != null) {
            unreachable(what, error);
        } else {
            LOG.info("{}: the watch ended; watching again from revision {}", description, control.revision());
        }
        try {
            reconciler.schedule(() -> {
                reconcile(control);
                watch(control, control.revision());
            }, 1, TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void apply(ControlPlane control, WatchResponse response) {
        for (WatchEvent event : response.getEvents()) {
            if (event.getEventType() != WatchEvent.EventType.PUT) {
                LOG.error("{} was deleted; this appliance routes on with revision {} (put a state back, or stop the"
                        + " fleet)", description, control.revision());
                continue;
            }
            KeyValue value = event.getKeyValue();
            applyValue(control, value.getModRevision(), value.getValue().getBytes());
        }
    }

    private void reconcile(ControlPlane control) {
        try {
            GetResponse response = await(kv.get(key), "read");
            if (outOfReach) {
                outOfReach = false;
                LOG.info("{}: etcd answers again; this appliance is at revision {}", description,
                        control.revision());
            }
            if (!response.getKvs().isEmpty()) {
                KeyValue value = response.getKvs().get(0);
                if (value.getModRevision() > control.revision()
                        && applyValue(control, value.getModRevision(), value.getValue().getBytes())) {
                    LOG.info("{}: caught up with revision {} by reading it (the watch had missed it)", description,
                            value.getModRevision());
                }
            }
        } catch (IOException | RuntimeException e) {
            unreachable("read", e);
        }
    }

    private boolean applyValue(ControlPlane control, long revision, byte[] json) {
        if (revision <= control.revision()) {
            return false;
        }
        RoutingState state;
        try {
            state = StateStore.fromJson(json, description + " revision " + revision);
        } catch (IllegalStateException e) {
            long now = System.nanoTime();
            long last = lastInvalid.get();
            if (now - last >= WARN_EVERY_NANOS && lastInvalid.compareAndSet(last, now)) {
                LOG.error("{}; this appliance routes on with revision {} (write a valid state to the key, or"
                        + " restore it from a backup)", e.getMessage(), control.revision());
            }
            return false;
        }
        return control.applyStored(revision, state);
    }

    /** Says that etcd could not be reached, at most once per 10 s. */
    void unreachable(String what, Throwable error) {
        outOfReach = true;
        long now = System.nanoTime();
        long last = lastWarning.get();
        if (now - last >= WARN_EVERY_NANOS && lastWarning.compareAndSet(last, now)) {
            LOG.warn("{}: {} failed ({}); routing goes on with the last revision applied, writes answer 503 until"
                    + " etcd answers", description, what, String.valueOf(error));
        }
    }

    /** Waits for a request at most {@code store.requestTimeout}; a failure is an {@link IOException}. */
    <T> T await(CompletableFuture<T> request, String what) throws IOException {
        try {
            return request.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            request.cancel(true);
            throw new IOException(description + ": " + what + " got no answer in " + timeoutMillis + " ms"
                    + (what.equals("write") ? "; it may still be applied: read the state to see" : ""), e);
        } catch (ExecutionException e) {
            throw new IOException(description + ": " + what + " failed" + (what.equals("write") ? ", nothing written"
                    : "") + ": " + e.getCause().getMessage() + "; etcd is out of reach: check store.endpoints and"
                    + " etcd's health" + (what.equals("write") ? ", then repeat the request" : ""), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(description + ": " + what + " interrupted", e);
        }
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void close() {
        if (reconciler != null) {
            reconciler.shutdownNow();
        }
        if (watcher != null) {
            watcher.close();
        }
        client.close();
    }
}
