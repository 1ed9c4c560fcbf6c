package io.quiclb.appliance.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.impl.QuicClientConnectionImpl;
import tech.kwik.flupke.impl.Http3ClientConnectionImpl;

/**
 * The {@code demo} command's client: one HTTP/3 connection through the appliance (kwik for QUIC, flupke for
 * HTTP/3), a few requests, an active migration (RFC 9000 §9: a new local port and the next CID the server issued),
 * a few more requests. It prints who answered each request and how the appliance's routing counters moved, and
 * says whether the connection stayed with one server and thread while its path and CID changed.
 *
 * <p><b>Thread safety:</b> not thread-safe; one run on one thread.
 */
final class DemoClient {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** A sample of a forwarder counter family in the Prometheus text format: name, labels, value. */
    private static final Pattern COUNTER_SAMPLE =
            Pattern.compile("quiclb_forwarder_([a-z0-9_]+_total)(?:\\{(.*)})? (\\S+)");
    private static final Pattern WORKER_LABEL = Pattern.compile("worker=\"[0-9]+\"");

    private final InetSocketAddress appliance;
    private final URI prometheus;
    private final PrintStream out;
    private final HttpClient admin = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    /**
     * @param appliance  the appliance's listener
     * @param prometheus its {@code /admin/prometheus} URL
     * @param out        where the report goes
     */
    DemoClient(InetSocketAddress appliance, URI prometheus, PrintStream out) {
        this.appliance = appliance;
        this.prometheus = prometheus;
        this.out = out;
    }

    /**
     * @param requests requests before the migration, and again after it
     * @return null when every check passed, else what failed
     */
    String run(int requests) throws IOException, InterruptedException {
        String authority = appliance.getHostString() + ":" + appliance.getPort();
        out.println("quiclb demo: HTTP/3 through the appliance at " + authority);
        Map<String, Long> before = counters();
        QuicClientConnection quic = QuicClientConnection.newBuilder()
                .uri(URI.create("https://" + authority))
                .applicationProtocol("h3")
                .noServerCertificateCheck()
                .maxOpenPeerInitiatedUnidirectionalStreams(10)
                .maxOpenPeerInitiatedBidirectionalStreams(0)
                .connectTimeout(TIMEOUT)
                .maxIdleTimeout(Duration.ofSeconds(30))
                .build();
        List<Map<String, String>> answers = new ArrayList<>();
        QuicClientConnectionImpl client = (QuicClientConnectionImpl) quic;
        try {
            Http3ClientConnectionImpl http3 = new Http3ClientConnectionImpl(quic);
            http3.connect();
            String cidBefore = HexFormat.of().formatHex(client.getDestinationConnectionId());
            for (int i = 1; i <= requests; i++) {
                answers.add(request(http3, authority, "/before-migration-" + i));
            }
            if (client.nextDestinationConnectionId() == null) {
                return "the server issued no spare CID to migrate to";
            }
            client.changeAddress();
            String cidAfter = HexFormat.of().formatHex(client.getDestinationConnectionId());
            out.println("  -- active migration: new local port, destination CID " + cidBefore + " -> " + cidAfter);
            for (int i = 1; i <= requests; i++) {
                answers.add(request(http3, authority, "/after-migration-" + i));
            }
        } finally {
            quic.close();
        }
        printCounters(before, counters());
        return verdict(answers, requests);
    }

    private Map<String, String> request(Http3ClientConnectionImpl http3, String authority, String path)
            throws IOException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://" + authority + path)).GET().build();
        HttpResponse<String> response = http3.send(request, HttpResponse.BodyHandlers.ofString());
        String body = response.body().strip();
        out.println("  GET " + path + " -> " + response.statusCode() + " " + body);
        Map<String, String> fields = new LinkedHashMap<>();
        for (String part : body.split(" ")) {
            int equals = part.indexOf('=');
            if (equals > 0) {
                fields.put(part.substring(0, equals), part.substring(equals + 1));
            }
        }
        return fields;
    }

    private static String verdict(List<Map<String, String>> answers, int requests) {
        Set<String> owners = new LinkedHashSet<>();
        Set<String> cids = new LinkedHashSet<>();
        Set<String> clients = new LinkedHashSet<>();
        for (Map<String, String> answer : answers) {
            owners.add(answer.get("server") + " thread " + answer.get("thread"));
            cids.add(answer.get("cid"));
            clients.add(answer.get("client"));
        }
        if (answers.size() != 2 * requests || owners.size() != 1) {
            return "expected every answer from one server thread, got " + owners;
        }
        if (clients.size() < 2) {
            return "the server never saw the client's new address: " + clients;
        }
        if (cids.size() < 2) {
            return "the server saw no new CID after the migration: " + cids;
        }
        return null;
    }

    /**
     * @return the appliance's forwarder counters summed over workers, by series without the
     *         {@code quiclb_forwarder_} prefix and the {@code worker} label, e.g. {@code flows_opened_total} or
     *         {@code routed_total{via="thread"}}
     */
    Map<String, Long> counters() throws IOException, InterruptedException {
        HttpResponse<String> response;
        try {
            response = admin.send(HttpRequest.newBuilder(prometheus).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IOException("cannot read the appliance's counters at " + prometheus
                    + " (is it running with this configuration?): " + e, e);
        }
        if (response.statusCode() != 200) {
            throw new IOException("GET " + prometheus + " answered " + response.statusCode());
        }
        Map<String, Long> totals = new TreeMap<>();
        for (String line : response.body().split("\n")) {
            Matcher sample = COUNTER_SAMPLE.matcher(line);
            if (sample.matches()) {
                String labels = sample.group(2) == null ? "" : WORKER_LABEL.matcher(sample.group(2)).replaceAll("")
                        .replaceAll(",,", ",").replaceAll("^,|,$", "");
                String series = sample.group(1) + (labels.isEmpty() ? "" : "{" + labels + "}");
                totals.merge(series, (long) Double.parseDouble(sample.group(3)), Long::sum);
            }
        }
        return totals;
    }

    private void printCounters(Map<String, Long> before, Map<String, Long> after) {
        out.println("appliance counters, change during the demo (" + prometheus + "):");
        after.forEach((name, value) -> {
            long delta = value - before.getOrDefault(name, 0L);
            if (delta != 0) {
                out.println("  " + name + " +" + delta);
            }
        });
    }
}
