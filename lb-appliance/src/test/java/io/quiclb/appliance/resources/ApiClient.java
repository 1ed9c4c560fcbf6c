package io.quiclb.appliance.resources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small HTTP client for the API tests: method, path, token, optional JSON body. */
final class ApiClient {
    static final String READ = "read-token-0123456789";
    static final String ADMIN = "admin-token-0123456789";

    private final ObjectMapper json = new ObjectMapper();
    private final int port;

    record Reply(int status, String body, JsonNode json) {
    }

    ApiClient(int port) {
        this.port = port;
    }

    Reply call(String method, String path, String token, String body) throws IOException, InterruptedException {
        return call(method, path, token, body, "application/json");
    }

    Reply call(String method, String path, String token, String body, String contentType)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", contentType);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        // A client per request: after refusing a request without reading its body (401/403), the server closes the
        // connection, and a pooled client could race to reuse it.
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        boolean isJson = response.headers().firstValue("Content-Type").orElse("").startsWith("application/json");
        JsonNode node = response.body().isEmpty() || !isJson ? null : json.readTree(response.body());
        return new Reply(response.statusCode(), response.body(), node);
    }

    Reply get(String path) throws IOException, InterruptedException {
        return call("GET", path, READ, null);
    }

    Reply put(String path, String body) throws IOException, InterruptedException {
        return call("PUT", path, ADMIN, body);
    }
}
