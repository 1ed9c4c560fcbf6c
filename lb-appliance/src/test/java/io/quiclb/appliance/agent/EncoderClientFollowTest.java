package io.quiclb.appliance.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import io.quiclb.appliance.QuicLbApplication;
import io.quiclb.appliance.QuicLbConfiguration;
import io.quiclb.codec.Hex;
import io.quiclb.codec.agent.EncoderClient;
import io.quiclb.codec.netty.EncoderFollower;
import io.quiclb.codec.netty.QuicLbConnectionIdGenerator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that follows the appliance with the codec's {@link EncoderClient} and {@link EncoderFollower} moves to a
 * new config during a rotation without a restart: once the appliance offers config 1, the server's generator issues
 * CIDs the appliance routes by config 1 to that server.
 */
class EncoderClientFollowTest {
    private static final String ADMIN = "admin-token-0123456789";

    @TempDir
    Path directory;

    @Test
    void shouldMoveTheServerToTheNewConfigOfARotation() throws Exception {
        DropwizardTestSupport<QuicLbConfiguration> app = new DropwizardTestSupport<>(QuicLbApplication.class,
                ResourceHelpers.resourceFilePath("api-test.yml"),
                ConfigOverride.config("api.stateFile", directory.resolve("state.json").toString()));
        app.before();
        URI api = URI.create("http://127.0.0.1:" + app.getLocalPort() + "/api/v1");
        try (EncoderClient client = new EncoderClient(api, "s1", ADMIN, Duration.ofSeconds(5))) {
            List<EncoderClient.Encoding> offered = client.fetch();
            assertEquals(1, offered.size());
            QuicLbConnectionIdGenerator ids = new QuicLbConnectionIdGenerator(offered.get(0).config(),
                    offered.get(0).serverId(), 0);
            EncoderFollower follower = new EncoderFollower(ids, 0);
            client.follow(Duration.ofMillis(100), follower);

            // Rotation step 1: the new config and the server's ID in it (the appliance decodes both now).
            assertEquals(200, call(api, "PUT", "/configs/1", "{\"serverIdLength\":2,\"nonceLength\":6,\"threadIdLength\":1,"
                    + "\"key\":\"fdf726a9893ec05c0632d3956680baf0\"}"));
            assertEquals(200, call(api, "PATCH", "/servers/s1", "{\"serverIds\":{\"1\":\"0b01\"}}"));
            // Step 2 happens by itself: the follower moves the generator.
            for (int wait = 0; wait < 100 && follower.currentConfigId() != 1; wait++) {
                Thread.sleep(100); // bounded: 10 s
            }
            assertEquals(1, follower.currentConfigId());
            ByteBuffer issued = ids.newId(ids.cidLength());
            byte[] cid = new byte[issued.remaining()];
            issued.get(cid);
            String routed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(api.resolve("/api/v1/whoami/"
                    + Hex.encode(cid))).header("Authorization", "Bearer " + ADMIN).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(routed.contains("\"configId\":1") && routed.contains("\"server\":\"s1\""), routed);
        } finally {
            app.after();
        }
    }

    private static int call(URI api, String method, String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api + path))
                .header("Authorization", "Bearer " + ADMIN).header("Content-Type", method.equals("PATCH")
                        ? "application/merge-patch+json" : "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
