package io.quiclb.codec.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a server reads from the encoder endpoint's answer, and what it refuses. */
class EncoderClientTest {
    /** The answer of docs/api.md's example, with the admin token (keys included). */
    private static final String ANSWER = "[{\"configId\":0,\"serverIdLength\":2,\"nonceLength\":6,\"threadIdLength\":1,"
            + "\"lengthSelfEncoded\":true,\"serverId\":\"0a04\",\"keyFingerprint\":\"aa662b2bf28cbb51\","
            + "\"key\":\"8f95f09245765f80256934e50c66207f\"},\n {\"configId\":1,\"serverIdLength\":2,\"nonceLength\":6,"
            + "\"threadIdLength\":0,\"lengthSelfEncoded\":false,\"serverId\":\"0B04\",\"keyFingerprint\":\"none\","
            + "\"key\":null}]";

    @Test
    void shouldReadTheConfigsAndServerIds() throws IOException {
        List<EncoderClient.Encoding> encodings = EncoderClient.parse(ANSWER);
        assertEquals(2, encodings.size());
        assertEquals("config 0 server ID 0a04 key " + encodings.get(0).config().keyFingerprint(),
                encodings.get(0).toString());
        assertEquals(1, encodings.get(0).config().threadIdLength());
        assertEquals(1, encodings.get(1).config().configId());
        assertEquals("0b04", io.quiclb.codec.Hex.encode(encodings.get(1).serverId().toByteArray()));
        assertEquals(false, encodings.get(1).config().lengthSelfEncoded());
        assertEquals(false, encodings.get(1).config().hasKey(), "plaintext: the appliance says \"none\"");
        assertEquals(List.of(), EncoderClient.parse(" [ ] "));
    }

    @Test
    void shouldRefuseAnEncryptedConfigWithoutItsKeyAndAnythingElse() {
        String readToken = ANSWER.replace("\"key\":\"8f95f09245765f80256934e50c66207f\"", "\"key\":null");
        assertEquals("config 0 is encrypted and the answer has no key: fetch with the appliance's admin token",
                assertThrows(IOException.class, () -> EncoderClient.parse(readToken)).getMessage());
        assertEquals("encoder answer cannot be used: encoder answer: expected '\"' at offset 2",
                assertThrows(IOException.class, () -> EncoderClient.parse("[{")).getMessage());
        assertEquals("encoder answer cannot be used: configId must be an integer: 0",
                assertThrows(IOException.class, () -> EncoderClient.parse("[{\"configId\":\"0\"}]")).getMessage());
        assertEquals("encoder answer cannot be used: encoder answer: expected the end of the answer after the array at offset 3",
                assertThrows(IOException.class, () -> EncoderClient.parse("[] x")).getMessage());
        assertEquals("encoder answer cannot be used: encoder answer: expected a string, an integer, true, false or"
                + " null at offset 13", assertThrows(IOException.class,
                () -> EncoderClient.parse("[{\"configId\":[1]}]")).getMessage());
    }
}
