package io.quiclb.appliance.config;

import io.dropwizard.util.Duration;
import io.dropwizard.validation.MaxDuration;
import io.dropwizard.validation.MinDuration;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The {@code store} section: where the routing state (configs, servers, drain state) lives. {@code file}, the
 * default, is this appliance's own state file ({@code api.stateFile}); {@code etcd} is a store that every appliance
 * of a fleet shares, so they all route alike: each API write is one compare-and-swap on the state's revision, and
 * every appliance applies each revision as it is written (draft-21 §3, the configuration agent's job).
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param type           {@code file} (default) or {@code etcd}
 * @param endpoints      etcd's client URLs ({@code http://host:port}, or {@code https://} for TLS); at least one with
 *                       {@code etcd}; all of one scheme
 * @param prefix         the key prefix the fleet's state lives under (default {@code /quiclb}); one per fleet
 * @param username       etcd user, with {@code password}; none by default
 * @param password       etcd password (from the environment: {@code ${QUICLB_ETCD_PASSWORD}}); never printed
 * @param requestTimeout how long one etcd request may take before a write answers 503 (default 2s, 100ms–30s)
 * @param reconcileEvery how often an appliance checks that it applied the latest revision, whatever its watch said
 *                       (default 5s, 1s–1m)
 * @param applianceId    this appliance's name in the fleet (default: the host name); unique in the fleet, letters,
 *                       digits, {@code .}, {@code _} and {@code -}, at most 64
 * @param caFile         with https endpoints: the PEM file of the CA that signed etcd's certificate (default: the
 *                       JDK's trusted CAs)
 * @param certFile       with https endpoints: this appliance's client certificate (PEM), with {@code keyFile}, for
 *                       etcd's {@code --client-cert-auth}
 * @param keyFile        its private key (PEM, PKCS#8); never printed
 */
public record StoreSettings(
        String type,
        List<String> endpoints,
        String prefix,
        String username,
        String password,
        @MinDuration(value = 100, unit = TimeUnit.MILLISECONDS) @MaxDuration(value = 30, unit = TimeUnit.SECONDS)
        Duration requestTimeout,
        @MinDuration(value = 1, unit = TimeUnit.SECONDS) @MaxDuration(value = 60, unit = TimeUnit.SECONDS)
        Duration reconcileEvery,
        String applianceId,
        String caFile,
        String certFile,
        String keyFile) {
    /** The state file of this appliance. */
    public static final String FILE = "file";
    /** etcd, shared by a fleet. */
    public static final String ETCD = "etcd";

    /** Fills in defaults and checks the rules that tie keys together, naming every broken one at once. */
    public StoreSettings {
        type = type == null ? FILE : type.toLowerCase(Locale.ROOT);
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        prefix = prefix == null ? "/quiclb" : prefix;
        requestTimeout = requestTimeout == null ? Duration.seconds(2) : requestTimeout;
        reconcileEvery = reconcileEvery == null ? Duration.seconds(5) : reconcileEvery;
        applianceId = applianceId == null ? hostName() : applianceId;
        List<String> problems = new java.util.ArrayList<>();
        if (!applianceId.matches("[A-Za-z0-9._-]{1,64}")) {
            problems.add("store.applianceId must be 1 to 64 letters, digits, '.', '_' or '-': applianceId="
                    + applianceId);
        }
        if (!type.equals(FILE) && !type.equals(ETCD)) {
            problems.add("store.type must be file or etcd: type=" + type);
        }
        if (type.equals(ETCD) && endpoints.isEmpty()) {
            problems.add("store.endpoints: etcd needs at least one client URL, e.g. http://127.0.0.1:2379");
        }
        String scheme = null;
        for (int i = 0; i < endpoints.size(); i++) {
            String endpoint = endpoints.get(i);
            URI uri;
            try {
                uri = URI.create(endpoint);
            } catch (IllegalArgumentException e) {
                problems.add("store.endpoints[" + i + "] is not a URL: " + endpoint);
                continue;
            }
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || uri.getPort() < 1) {
                problems.add("store.endpoints[" + i + "] must be http://host:port or https://host:port: " + endpoint);
            } else if (scheme == null) {
                scheme = uri.getScheme();
            } else if (!scheme.equals(uri.getScheme())) {
                problems.add("store.endpoints must all be http or all https: " + endpoints);
            }
        }
        if ((certFile == null) != (keyFile == null)) {
            problems.add("store.certFile and store.keyFile go together: "
                    + (certFile == null ? "keyFile without certFile" : "certFile without keyFile"));
        }
        if ((caFile != null || certFile != null || keyFile != null) && !tls(endpoints)) {
            problems.add("store.caFile, store.certFile and store.keyFile are for https endpoints: endpoints="
                    + endpoints);
        }
        for (String[] file : new String[][] {{"caFile", caFile}, {"certFile", certFile}, {"keyFile", keyFile}}) {
            if (file[1] != null && !java.nio.file.Files.isReadable(java.nio.file.Path.of(file[1]))) {
                problems.add("store." + file[0] + ": no readable file at " + file[1]);
            }
        }
        if (!prefix.startsWith("/") || prefix.endsWith("/") || prefix.contains("//")) {
            problems.add("store.prefix must start with / and not end with one, e.g. /quiclb: prefix=" + prefix);
        }
        if ((username == null) != (password == null)) {
            problems.add("store.username and store.password go together: "
                    + (username == null ? "password without username" : "username without password"));
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    /** @return every default: the state file */
    public static StoreSettings defaults() {
        return new StoreSettings(null, null, null, null, null, null, null, null, null, null, null);
    }

    /** @return whether etcd is reached over TLS (https endpoints) */
    public boolean tls() {
        return tls(endpoints);
    }

    private static boolean tls(List<String> endpoints) {
        return !endpoints.isEmpty() && endpoints.get(0).startsWith("https:");
    }

    private static String hostName() {
        try {
            String name = java.net.InetAddress.getLocalHost().getHostName();
            return name.matches("[A-Za-z0-9._-]{1,64}") ? name : "appliance";
        } catch (java.net.UnknownHostException e) {
            return "appliance";
        }
    }

    /** @return whether the state lives in etcd */
    public boolean etcd() {
        return type.equals(ETCD);
    }

    /** @return the settings as a line for the log: no password */
    @Override
    public String toString() {
        return "store{type=" + type + ", endpoints=" + endpoints + ", prefix=" + prefix + ", applianceId=" + applianceId
                + (username == null ? "" : ", username=" + username + ", password=***")
                + (caFile == null ? "" : ", caFile=" + caFile) + (certFile == null ? "" : ", certFile=" + certFile
                + ", keyFile=" + keyFile) + "}";
    }
}
