package io.quiclb.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import io.quiclb.appliance.QuicLbConfiguration;
import io.quiclb.codec.CidAlgorithm;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigurationLoadingTest {
    private static final String KEY = "8f95f09245765f80256934e50c66207f";
    private final YamlConfigurationFactory<QuicLbConfiguration> factory = new YamlConfigurationFactory<>(
            QuicLbConfiguration.class, Validators.newValidator(), Jackson.newObjectMapper(), "dw");

    @TempDir
    Path directory;

    @Test
    void shouldLoadTheShippedConfigYml() throws Exception {
        File shipped = new File("../config.yml");
        assertTrue(shipped.isFile(), "config.yml at the repository root");
        QuicLbConfiguration configuration = factory.build(new SubstitutingSourceProvider(
                new FileConfigurationSourceProvider(), new EnvironmentVariableSubstitutor(true)), shipped.getPath());
        assertEquals(TransportKind.AUTO, configuration.getForwarder().transport());
        assertEquals(1, configuration.getQuicLb().configs().size());
        assertEquals(CidAlgorithm.FOUR_PASS, configuration.getQuicLb().configs().get(0).toQuicLbConfig().algorithm());
        assertEquals(3, configuration.getServers().size());
        assertEquals(HostPort.parse("127.0.0.1:5101"), configuration.getServers().get(0).threadSockets().get(0));
        assertEquals(60, configuration.getForwarder().flowIdleTimeout().toSeconds());
        assertTrue(configuration.getDemo().backends(), "the shipped config.yml is a working demo");
    }

    @Test
    void shouldFillDefaults() throws Exception {
        QuicLbConfiguration configuration = load("quicLb:\n  configs:\n    - {configId: 3, serverIdLength: 2,"
                + " nonceLength: 6}\n");
        assertEquals(ForwarderSettings.defaults(), configuration.getForwarder());
        assertEquals(2, configuration.getForwarder().workers());
        assertEquals(1_000_000L, configuration.getForwarder().maxFlows());
        LbConfigEntry entry = configuration.getQuicLb().configs().get(0);
        assertEquals(0, entry.threadIdLength());
        assertTrue(entry.lengthSelfEncoded());
        assertEquals(CidAlgorithm.PLAINTEXT, entry.toQuicLbConfig().algorithm());
        assertFalse(configuration.getDemo().backends(), "no demo backends unless asked for");
    }

    @Test
    void shouldListEveryCrossEntryProblemWithItsPath() {
        String yaml = String.join("\n",
                "quicLb:",
                "  configs:",
                "    - {configId: 7, serverIdLength: 2, nonceLength: 6}",
                "    - {configId: 2, serverIdLength: 2, nonceLength: 6, threadIdLength: 1, key: " + KEY + "}",
                "    - {configId: 2, serverIdLength: 3, nonceLength: 6}",
                "servers:",
                "  - {name: s1, address: '127.0.0.1:5001', serverIds: {2: '0a01', 5: '01'}}",
                "  - {name: s1, address: '127.0.0.1:5002', serverIds: {2: '0A01'}}",
                "  - {name: s3, address: '127.0.0.1:5003', serverIds: {2: '0a0102'}}",
                "  - {name: s4, address: '127.0.0.1:5004', serverIds: {2: 'zz01'}}",
                "");
        String message = assertThrows(ConfigurationException.class, () -> load(yaml)).getMessage();
        for (String problem : new String[] {
            "quicLb.configs[0]: must be 0..6: configId=7",
            "quicLb.configs[2].configId: must be unique: configId=2",
            "servers[0].serverIds[5]: must name a config in quicLb.configs: configId=5",
            "servers[1].name: must be unique: name=s1",
            "servers[1].serverIds[2]: must be unique within config 2: serverId=0a01 belongs to s1",
            "servers[2].serverIds[2]: must be 2 octets (serverIdLength of config 2): serverId=0a0102",
            "servers[3].serverIds[2]: must be hex digits: serverId has a non-hex character at 0",
        }) {
            assertTrue(message.contains(problem), "missing: " + problem + "\nin: " + message);
        }
        assertFalse(message.contains(KEY), message);
    }

    @Test
    void shouldRefuseAServerIdSharedByAPlaintextAndAnEncryptedConfig() {
        // draft-21 §9.7: "Such deployments MUST use different server ID allocations for the clear text and the
        // encrypted versions." s1 holds 0a01 in keyed config 0 and in plaintext config 1; s2's 0b02 in plaintext
        // config 1 is s3's in keyed config 0. Server IDs of another length in config 2 do not collide.
        String yaml = String.join("\n",
                "quicLb:",
                "  configs:",
                "    - {configId: 0, serverIdLength: 2, nonceLength: 6, key: " + KEY + "}",
                "    - {configId: 1, serverIdLength: 2, nonceLength: 6}",
                "    - {configId: 2, serverIdLength: 3, nonceLength: 6}",
                "servers:",
                "  - {name: s1, address: '127.0.0.1:5001', serverIds: {0: '0a01', 1: '0A01', 2: '0a0101'}}",
                "  - {name: s2, address: '127.0.0.1:5002', serverIds: {1: '0b02'}}",
                "  - {name: s3, address: '127.0.0.1:5003', serverIds: {0: '0b02'}}",
                "");
        String message = assertThrows(ConfigurationException.class, () -> load(yaml)).getMessage();
        for (String problem : new String[] {
            "servers[0].serverIds[1]: must not be a server ID of an encrypted config (draft-21 §9.7: plaintext and"
                    + " encrypted configs MUST use different server ID allocations): serverId=0a01 in plaintext"
                    + " config 1 is s1's in encrypted config 0",
            "servers[1].serverIds[1]: must not be a server ID of an encrypted config (draft-21 §9.7: plaintext and"
                    + " encrypted configs MUST use different server ID allocations): serverId=0b02 in plaintext"
                    + " config 1 is s3's in encrypted config 0",
        }) {
            assertTrue(message.contains(problem), "missing: " + problem + "\nin: " + message);
        }
        assertFalse(message.contains("serverIds[2]"), message);
        assertFalse(message.contains(KEY), message);
    }

    @Test
    void shouldRejectTooManyThreadSockets() {
        StringBuilder sockets = new StringBuilder();
        for (int i = 0; i < 257; i++) {
            sockets.append(i == 0 ? "" : ", ").append("'127.0.0.1:").append(6000 + i).append('\'');
        }
        String yaml = "quicLb:\n  configs:\n    - {configId: 0, serverIdLength: 2, nonceLength: 6, threadIdLength: 1}\n"
                + "servers:\n  - {name: s1, address: '127.0.0.1:5001', serverIds: {0: '0a01'}, threadSockets: ["
                + sockets + "]}\n";
        String message = assertThrows(ConfigurationException.class, () -> load(yaml)).getMessage();
        assertTrue(message.contains("servers[0].threadSockets: must be at most 256 (threadIdLength=1): "
                + "threadSockets=257"), message);
    }

    @Test
    void shouldRejectServerTargetsThatHarmTheAppliance() {
        String yaml = "forwarder: {listeners: ['0.0.0.0:4433']}\n"
                + "quicLb:\n  configs:\n    - {configId: 0, serverIdLength: 2, nonceLength: 6}\n"
                + "servers:\n"
                + "  - {name: loop, address: '127.0.0.1:4433', serverIds: {0: '0a01'}}\n"
                + "  - {name: any, address: '0.0.0.0:5002', threadSockets: ['127.0.0.1:0', '127.0.0.1:5003',"
                + " '127.0.0.1:5003']}\n"
                + "  - {name: copy, address: '127.0.0.1:5003'}\n";
        String message = assertThrows(ConfigurationException.class, () -> load(yaml)).getMessage();
        for (String problem : new String[] {
            "servers[0].address: must not be one of the appliance's own listeners (forwarder.listeners has"
                    + " 0.0.0.0:4433): datagrams would loop through the appliance: 127.0.0.1:4433",
            "servers[1].address: must not be a wildcard address (0.0.0.0 or [::]): it names no server: 0.0.0.0:5002",
            "servers[1].threadSockets[0]: must have a port 1..65535 (port 0 names no server): 127.0.0.1:0",
            "servers[1].threadSockets[2]: must be unique within the server: 127.0.0.1:5003 is also its"
                    + " threadSockets[1]",
            "servers[2].address: must not be another server's socket: 127.0.0.1:5003 is any's threadSockets[1]"}) {
            assertTrue(message.contains(problem), problem + " in " + message);
        }
    }

    @Test
    void shouldRejectBadScalarsNamingTheKey() {
        assertRejected("forwarder: {transport: dpdk}\n", "forwarder.transport",
                "must be auto, io_uring, epoll or nio: transport=dpdk");
        assertRejected("forwarder: {listeners: ['127.0.0.1']}\n", "forwarder.listeners",
                "must be host:port (IPv6 in brackets): 127.0.0.1");
        assertRejected("forwarder: {listeners: ['127.0.0.1:70000']}\n", "forwarder.listeners",
                "must be 0..65535: port=70000");
        assertRejected("forwarder: {workers: 0}\n", "forwarder.workers", "must be greater than or equal to 1");
        assertRejected("forwarder: {flowIdleTimeout: 10ms}\n", "forwarder.flowIdleTimeout",
                "must be greater than or equal to 1 SECONDS");
        assertRejected("forwarder: {warmUp: 61s}\n", "forwarder.warmUp", "must be less than or equal to 60 SECONDS");
    }

    @Test
    void shouldTakeTheWarmUpOrNone() throws Exception {
        assertEquals(ForwarderSettings.DEFAULT_WARM_UP_MILLIS,
                load("forwarder: {}\n").getForwarder().warmUp().toMilliseconds());
        assertEquals(0, load("forwarder: {warmUp: 0s}\n").getForwarder().warmUp().toMilliseconds());
        assertEquals(500, load("forwarder: {warmUp: 500ms}\n").getForwarder().warmUp().toMilliseconds());
    }

    @Test
    void shouldRejectABadStoreSectionNamingTheKey() throws Exception {
        assertRejected("store: {type: consul}\n", "store", "store.type must be file or etcd: type=consul");
        assertRejected("store: {type: etcd}\n", "store", "store.endpoints: etcd needs at least one client URL");
        assertRejected("store: {type: etcd, endpoints: ['etcd.internal:2379']}\n", "store",
                "store.endpoints[0] must be http://host:port or https://host:port: etcd.internal:2379");
        assertRejected("store: {type: etcd, endpoints: ['https://10.0.0.1:2379', 'http://10.0.0.2:2379']}\n", "store",
                "store.endpoints must all be http or all https");
        assertRejected("store: {type: etcd, endpoints: ['http://10.0.0.1:2379'], caFile: /etc/hosts}\n", "store",
                "store.caFile, store.certFile and store.keyFile are for https endpoints");
        assertRejected("store: {type: etcd, endpoints: ['https://10.0.0.1:2379'], certFile: /etc/hosts}\n", "store",
                "store.certFile and store.keyFile go together: certFile without keyFile");
        assertRejected("store: {type: etcd, endpoints: ['https://10.0.0.1:2379'], caFile: /no/such/ca.pem}\n",
                "store", "store.caFile: no readable file at /no/such/ca.pem");
        assertRejected("store: {type: etcd, endpoints: ['http://10.0.0.1:2379'], prefix: quiclb/}\n", "store",
                "store.prefix must start with / and not end with one, e.g. /quiclb: prefix=quiclb/");
        assertRejected("store: {type: etcd, endpoints: ['http://10.0.0.1:2379'], password: s3cret-pw}\n", "store",
                "store.username and store.password go together: password without username");
        String every = assertThrows(ConfigurationException.class, () -> load("store: {type: etcd, endpoints:"
                + " ['https://10.0.0.1:2379', 'http://10.0.0.2:2379'], applianceId: 'lb 1', username: lb}\n"))
                .getMessage();
        for (String problem : List.of("store.applianceId must be 1 to 64", "store.endpoints must all be http or all"
                + " https", "store.username and store.password go together: username without password")) {
            assertTrue(every.contains(problem), "every problem at once, " + problem + ": " + every);
        }
        assertRejected("store: {type: etcd, endpoints: ['http://10.0.0.1:2379'], requestTimeout: 10ms}\n",
                "store.requestTimeout", "must be greater than or equal to 100 MILLISECONDS");
        String message = assertThrows(ConfigurationException.class, () -> load("store: {type: etcd, endpoints:"
                + " ['http://10.0.0.1:2379'], password: s3cret-pw}\n")).getMessage();
        assertFalse(message.contains("s3cret-pw"), message);
        StoreSettings store = load("store: {type: etcd, endpoints: ['http://10.0.0.1:2379'], username: lb,"
                + " password: s3cret-pw, applianceId: lb-1}\n").getStore();
        assertTrue(store.etcd());
        assertEquals("/quiclb", store.prefix());
        assertEquals("store{type=etcd, endpoints=[http://10.0.0.1:2379], prefix=/quiclb, applianceId=lb-1,"
                + " username=lb, password=***}", store.toString());
        assertRejected("store: {type: etcd, endpoints: ['http://10.0.0.1:2379'], applianceId: 'lb 1'}\n", "store",
                "store.applianceId must be 1 to 64 letters, digits, '.', '_' or '-': applianceId=lb 1");
        assertFalse(load("servers: []\n").getStore().etcd(), "the state file by default");
    }

    @Test
    void shouldNeverPrintAMalformedKey() {
        String malformed = KEY.substring(0, 30);
        String message = assertThrows(ConfigurationException.class, () -> load("quicLb:\n  configs:\n"
                + "    - {configId: 0, serverIdLength: 2, nonceLength: 6, key: " + malformed + "}\n")).getMessage();
        assertTrue(message.contains("must be 32 hex digits (16 octets): key has 30"), message);
        assertFalse(message.contains(malformed), message);
        assertEquals("[REDACTED]", AesKeyHex.parse(KEY).toString());
    }

    @Test
    void shouldParseIpv6AndPrintItBack() {
        HostPort address = HostPort.parse("[::1]:4433");
        assertEquals("::1", address.host());
        assertEquals("[::1]:4433", address.toString());
        assertEquals(4433, address.resolve().getPort());
    }

    private void assertRejected(String yaml, String path, String rule) {
        String message = assertThrows(ConfigurationException.class, () -> load(yaml)).getMessage();
        assertTrue(message.contains(path), "no path " + path + " in: " + message);
        assertTrue(message.contains(rule), "no rule " + rule + " in: " + message);
    }

    private QuicLbConfiguration load(String yaml) throws Exception {
        Path file = directory.resolve("test.yml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        return factory.build(new FileConfigurationSourceProvider(), file.toString());
    }

}
