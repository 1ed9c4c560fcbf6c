package io.quiclb.codec.agent;

import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A QUIC server's side of the configuration agent (draft-21 §3.1): fetches what the load balancers offer it,
 * {@code GET <api>/servers/<name>/encoder}, with the JDK's {@link HttpClient}, and, when following, tells the server
 * each time the offer changes, so a config rotation needs no server restart. In a fleet the appliances offer a
 * config only once every one of them has applied it, so a server that switches to what it is offered never issues a
 * CID a load balancer cannot route.
 *
 * <p>Encrypted configs come with their key only for the appliance's admin token ({@code api.adminToken}); with the
 * read token an encrypted config cannot be used and {@link #fetch} fails.
 *
 * <p><b>Thread safety:</b> thread-safe. {@link #follow} calls its listener on one thread of its own, never
 * concurrently.
 */
public final class EncoderClient implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EncoderClient.class.getName());
    private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final HttpClient http;
    private final HttpRequest request;
    private final String server;
    private ScheduledExecutorService poller;
    private List<Encoding> last;
    private long lastWarning = System.nanoTime() - WARN_EVERY_NANOS;

    /**
     * One config the server may issue CIDs with, and its server ID in it.
     *
     * @param config   the config, with its key
     * @param serverId the server's ID in it
     */
    public record Encoding(QuicLbConfig config, ServerId serverId) {
        /** @return a line for logs: config ID, server ID and the key's fingerprint, never the key */
        @Override
        public String toString() {
            return "config " + config.configId() + " server ID " + Hex.encode(serverId.toByteArray()) + " key "
                    + config.keyFingerprint();
        }
    }

    /**
     * @param api     the appliance's API, e.g. {@code http://lb.example:8080/api/v1}
     * @param server  this server's name there
     * @param token   the bearer token (the admin token, for encrypted configs)
     * @param timeout how long one request may take
     */
    public EncoderClient(URI api, String server, String token, Duration timeout) {
        this.server = server;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
        String base = api.toString().endsWith("/") ? api.toString() : api + "/";
        this.request = HttpRequest.newBuilder(URI.create(base + "servers/" + URLEncoder.encode(server,
                StandardCharsets.UTF_8) + "/encoder")).header("Authorization", "Bearer " + token).timeout(timeout)
                .GET().build();
    }

    /**
     * One request.
     *
     * @return what this server may use, in config ID order
     * @throws IOException when the appliance does not answer 200, or its answer cannot be used (a config without
     *                     its key: the token is not the admin token)
     */
    public List<Encoding> fetch() throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + request.uri() + " answered " + response.statusCode() + ": "
                    + response.body());
        }
        return parse(response.body());
    }

    /**
     * @param json the encoder endpoint's answer
     * @return the encodings it offers
     * @throws IOException when it is not that answer, or a config's key is missing
     */
    static List<Encoding> parse(String json) throws IOException {
        List<Encoding> encodings = new ArrayList<>();
        try {
            for (Map<String, Object> entry : FlatJson.arrayOfObjects(json)) {
                int configId = number(entry, "configId");
                String fingerprint = (String) entry.get("keyFingerprint");
                String key = (String) entry.get("key");
                // A plaintext config's fingerprint is "none" (QuicLbConfig.keyFingerprint).
                if (fingerprint != null && !fingerprint.equals("none") && key == null) {
                    throw new IOException("config " + configId + " is encrypted and the answer has no key: fetch with"
                            + " the appliance's admin token");
                }
                QuicLbConfig.Builder builder = QuicLbConfig.builder(configId, number(entry, "serverIdLength"),
                        number(entry, "nonceLength")).threadIdLength(number(entry, "threadIdLength"))
                        .lengthSelfEncoded(Boolean.TRUE.equals(entry.get("lengthSelfEncoded")));
                if (key != null) {
                    builder.key(Hex.decode("key", key));
                }
                encodings.add(new Encoding(builder.build(), ServerId.fromHex((String) Objects.requireNonNull(
                        entry.get("serverId"), "serverId"))));
            }
        } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
            throw new IOException("encoder answer cannot be used: " + e.getMessage(), e);
        }
        return encodings;
    }

    private static int number(Map<String, Object> entry, String name) {
        Object value = entry.get(name);
        if (!(value instanceof Long number)) {
            throw new IllegalArgumentException(name + " must be an integer: " + value);
        }
        return Math.toIntExact(number);
    }

    /**
     * Fetches every {@code every} on a thread of its own and calls {@code listener} with the first answer and with
     * each one that differs from the one before. A failed fetch changes nothing (the server goes on with what it
     * has) and is logged at most once a minute.
     *
     * @param every    time between fetches
     * @param listener what to do with a new offer
     */
    public synchronized void follow(Duration every, Consumer<List<Encoding>> listener) {
        if (poller != null) {
            throw new IllegalStateException("already following");
        }
        poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "quiclb-encoder-" + server);
            thread.setDaemon(true);
            return thread;
        });
        poller.scheduleWithFixedDelay(() -> poll(listener), 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void poll(Consumer<List<Encoding>> listener) {
        List<Encoding> offered;
        try {
            offered = fetch();
        } catch (IOException e) {
            warn(e.getMessage());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (!same(offered, last)) {
            last = offered;
            try {
                listener.accept(offered);
            } catch (RuntimeException e) {
                warn("the listener failed: " + e);
            }
        }
    }

    private static boolean same(List<Encoding> a, List<Encoding> b) {
        if (b == null || a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).toString().equals(b.get(i).toString())) {
                return false;
            }
        }
        return true;
    }

    private void warn(String message) {
        long now = System.nanoTime();
        if (now - lastWarning >= WARN_EVERY_NANOS) {
            lastWarning = now;
            LOG.log(System.Logger.Level.WARNING, "encoder of server " + server + ": " + message
                    + "; issuing CIDs as before");
        }
    }

    /** Stops following. */
    @Override
    public synchronized void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }
}
