package io.quiclb.appliance.openapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import io.quiclb.appliance.QuicLbApplication;
import io.quiclb.appliance.QuicLbConfiguration;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /api/v1/openapi.json|yaml} of the real application: what it lists, and that it needs a token. */
class OpenApiTest {
    private static final String READ = "read-token-0123456789";
    @TempDir
    static Path stateDirectory;
    private static DropwizardTestSupport<QuicLbConfiguration> app;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        app = new DropwizardTestSupport<>(QuicLbApplication.class, ResourceHelpers.resourceFilePath("api-test.yml"),
                ConfigOverride.config("api.stateFile", stateDirectory.resolve("state.json").toString()));
        app.before();
    }

    @AfterAll
    static void stop() {
        app.after();
    }

    @Test
    void shouldDescribeEveryResourceOperationWithItsMethods() throws Exception {
        HttpResponse<String> response = get("/api/v1/openapi.json", READ);
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode document = json.readTree(response.body());
        assertTrue(document.get("openapi").asText().startsWith("3."), document.get("openapi").asText());
        JsonNode paths = document.get("paths");
        assertEquals(Set.of("get", "put", "patch", "delete"), methods(paths, "/api/v1/configs/{configId}"));
        assertEquals(Set.of("get"), methods(paths, "/api/v1/configs"));
        assertEquals(Set.of("get", "put", "patch", "delete"), methods(paths, "/api/v1/servers/{name}"));
        assertEquals(Set.of("post"), methods(paths, "/api/v1/servers/{name}/drain"));
        assertEquals(Set.of("get"), methods(paths, "/api/v1/servers/{name}/encoder"));
        assertEquals(Set.of("get"), methods(paths, "/api/v1/stats"));
        assertEquals(Set.of("get"), methods(paths, "/api/v1/whoami/{cid}"));
        assertEquals(Set.of("get"), methods(paths, "/api/v1/audit"));
        for (Iterator<String> names = paths.fieldNames(); names.hasNext(); ) {
            String path = names.next();
            assertTrue(path.startsWith("/api/v1/") && !path.contains("openapi"), "only the API's resources: " + path);
        }

        JsonNode put = paths.get("/api/v1/configs/{configId}").get("put");
        assertEquals("configId", put.get("parameters").get(0).get("name").asText());
        assertEquals("path", put.get("parameters").get(0).get("in").asText());
        String body = put.get("requestBody").get("content").get("application/json").get("schema").get("$ref").asText();
        assertEquals("#/components/schemas/ConfigRequest", body);
        JsonNode configRequest = document.get("components").get("schemas").get("ConfigRequest").get("properties");
        assertTrue(configRequest.has("serverIdLength") && configRequest.has("nonceLength") && configRequest.has("key"),
                configRequest.toString());
        assertEquals("[{\"$ref\":\"#/components/schemas/ConfigView\"},{\"$ref\":\"#/components/schemas/DryRunView\"}]",
                put.get("responses").get("200").get("content").get("application/json").get("schema").get("oneOf")
                        .toString(), "the stored config, or a dry run's result");
        JsonNode patch = paths.get("/api/v1/servers/{name}").get("patch");
        assertEquals("#/components/schemas/ServerRequest", patch.get("requestBody").get("content")
                .get("application/merge-patch+json").get("schema").get("$ref").asText(), patch.toString());
        assertTrue(put.get("responses").has("401") && put.get("responses").has("403"), put.toString());
        JsonNode delete = paths.get("/api/v1/servers/{name}").get("delete");
        assertTrue(delete.get("responses").has("204"), delete.toString());
        assertEquals("#/components/schemas/DryRunView", delete.get("responses").get("200").get("content")
                .get("application/json").get("schema").get("$ref").asText(), "a dry run's answer");
        JsonNode stats = paths.get("/api/v1/stats").get("get");
        assertTrue(stats.get("responses").has("401") && !stats.get("responses").has("403"), stats.toString());
        assertEquals("stats", stats.get("tags").get(0).asText());

        JsonNode bearer = document.get("components").get("securitySchemes").get("bearer");
        assertEquals("http", bearer.get("type").asText());
        assertEquals("bearer", bearer.get("scheme").asText());
        assertTrue(document.get("security").get(0).has("bearer"), document.get("security").toString());
    }

    @Test
    void shouldServeTheSameDescriptionAsYaml() throws Exception {
        HttpResponse<String> yaml = get("/api/v1/openapi.yaml", READ);
        assertEquals(200, yaml.statusCode(), yaml.body());
        assertTrue(yaml.headers().firstValue("Content-Type").orElse("").startsWith("application/yaml"));
        JsonNode fromYaml = new YAMLMapper().readTree(yaml.body());
        JsonNode fromJson = json.readTree(get("/api/v1/openapi.json", READ).body());
        assertEquals(fromJson, fromYaml);
    }

    @Test
    void shouldNeedAToken() throws Exception {
        assertEquals(401, get("/api/v1/openapi.json", null).statusCode());
        assertEquals(401, get("/api/v1/openapi.yaml", "wrong-token-0123456789").statusCode());
        assertEquals(404, get("/api/v1/openapi.xml", READ).statusCode());
    }

    private static Set<String> methods(JsonNode paths, String path) {
        JsonNode item = paths.get(path);
        assertNotNull(item, path + " is missing; paths: " + names(paths));
        Set<String> methods = new TreeSet<>();
        item.fieldNames().forEachRemaining(name -> {
            if (Set.of("get", "put", "post", "delete", "head", "patch", "options").contains(name)) {
                methods.add(name);
            }
        });
        assertFalse(methods.isEmpty(), path);
        return methods;
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static HttpResponse<String> get(String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + app.getLocalPort() + path)).timeout(Duration.ofSeconds(10));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        // A client per request, as ApiClient does: a refused request's connection is closed by the server.
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
