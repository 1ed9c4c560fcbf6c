package io.quiclb.appliance;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.core.Configuration;
import io.dropwizard.core.server.SimpleServerFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.quiclb.appliance.config.ApiSettings;
import io.quiclb.appliance.config.ConsistentRouting;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.DemoSettings;
import io.quiclb.appliance.config.StoreSettings;
import io.quiclb.appliance.config.HealthSettings;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import java.util.List;

/**
 * The appliance's config.yml: Dropwizard's {@code server} and {@code logging}, plus the sections below. Every key is
 * described in docs/configuration.md.
 *
 * <pre>
 * forwarder:   transport, workers, listeners, flowIdleTimeout, maxFlows   ({@link ForwarderSettings})
 * quicLb:      configs: [configId, serverIdLength, nonceLength, threadIdLength, key, lengthSelfEncoded]
 * servers:     [name, address, serverIds {configId: hex}, threadSockets]
 * api:         stateFile, readToken, adminToken, publicAdminPages, maxRequestBytes, auditHistory ({@link ApiSettings})
 * health:      enabled, interval, timeout, unhealthyThreshold, healthyThreshold ({@link HealthSettings})
 * demo:        backends                                               ({@link DemoSettings})
 * </pre>
 *
 * <p><b>Thread safety:</b> populated by Jackson at startup, then only read.
 */
@ConsistentRouting
public class QuicLbConfiguration extends Configuration {
    @Valid
    @NotNull
    private ForwarderSettings forwarder = ForwarderSettings.defaults();

    @Valid
    @NotNull
    private QuicLbSettings quicLb = new QuicLbSettings(List.of());

    @Valid
    @NotNull
    private List<@Valid @NotNull ServerEntry> servers = List.of();

    @Valid
    @NotNull
    private ApiSettings api = ApiSettings.defaults();

    @Valid
    @NotNull
    private HealthSettings health = HealthSettings.defaults();

    @Valid
    @NotNull
    private DemoSettings demo = DemoSettings.defaults();

    @Valid
    @NotNull
    private StoreSettings store = StoreSettings.defaults();

    /**
     * Without a {@code server} section the HTTP API and admin pages listen on {@code 127.0.0.1:8080} only (API at
     * {@code /api/v1}, admin pages at {@code /admin}), not on every address as Dropwizard's default would.
     */
    @SuppressWarnings("this-escape") // setServerFactory is Dropwizard's plain setter
    public QuicLbConfiguration() {
        HttpConnectorFactory connector = new HttpConnectorFactory();
        connector.setBindHost("127.0.0.1");
        connector.setPort(8080);
        SimpleServerFactory server = new SimpleServerFactory();
        server.setConnector(connector);
        server.setApplicationContextPath("/");
        server.setAdminContextPath("/admin");
        setServerFactory(server);
    }

    /** @return the store section */
    @JsonProperty
    public StoreSettings getStore() {
        return store;
    }

    /** @param store the store section */
    @JsonProperty
    public void setStore(StoreSettings store) {
        this.store = store;
    }

    /** @return the demo section */
    @JsonProperty
    public DemoSettings getDemo() {
        return demo;
    }

    /** @param demo the demo section */
    @JsonProperty
    public void setDemo(DemoSettings demo) {
        this.demo = demo;
    }

    /** @return the health section */
    @JsonProperty
    public HealthSettings getHealth() {
        return health;
    }

    /** @param health the health section */
    @JsonProperty
    public void setHealth(HealthSettings health) {
        this.health = health;
    }

    /** @return the api section */
    @JsonProperty
    public ApiSettings getApi() {
        return api;
    }

    /** @param api the api section */
    @JsonProperty
    public void setApi(ApiSettings api) {
        this.api = api;
    }

    /** @return the forwarder section */
    @JsonProperty
    public ForwarderSettings getForwarder() {
        return forwarder;
    }

    /** @param forwarder the forwarder section */
    @JsonProperty
    public void setForwarder(ForwarderSettings forwarder) {
        this.forwarder = forwarder;
    }

    /** @return the quicLb section */
    @JsonProperty
    public QuicLbSettings getQuicLb() {
        return quicLb;
    }

    /** @param quicLb the quicLb section */
    @JsonProperty
    public void setQuicLb(QuicLbSettings quicLb) {
        this.quicLb = quicLb;
    }

    /** @return the servers section */
    @JsonProperty
    public List<ServerEntry> getServers() {
        return servers;
    }

    /** @param servers the servers section */
    @JsonProperty
    public void setServers(List<ServerEntry> servers) {
        this.servers = servers;
    }
}
