package io.quiclb.codec.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.quiclb.codec.CidDecoder;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The AWS NLB profile: plaintext config 0, 8-octet server IDs as the AWS Load Balancer Controller injects them
 * (base64 in AWS_LBC_QUIC_SERVER_ID) or as the AWS API shows them (0x and 16 hex digits), 10-octet nonces.
 */
class AwsNlbTest {
    private static final String BASE64 = "AAECAwQFBgc=";

    @Test
    void shouldBuildThePlaintextConfigZeroTheNlbRoutes() {
        QuicLbConfig config = AwsNlb.config();
        assertEquals(0, config.configId());
        assertEquals(8, config.serverIdLength());
        assertEquals(10, config.nonceLength());
        assertFalse(config.hasKey(), "plaintext: the NLB holds no key");
        assertEquals(19, config.cidLength());
        assertEquals(15, AwsNlb.config(6).cidLength());
    }

    @Test
    void shouldReadTheServerIdInBothFormsAwsGivesIt() {
        ServerId fromController = AwsNlb.serverIdFromEnvironment(Map.of(AwsNlb.SERVER_ID_VARIABLE, BASE64));
        assertEquals("0001020304050607", Hex.encode(fromController.toByteArray()));
        assertEquals(fromController, AwsNlb.serverId("QuicServerId", "0x0001020304050607"));

        CidEncoder encoder = AwsNlb.encoder(fromController);
        CidDecoder decoder = new CidDecoder(AwsNlb.config());
        byte[] serverId = new byte[15];
        for (int i = 0; i < 16; i++) {
            byte[] cid = encoder.nextConnectionId();
            assertEquals(19, cid.length);
            assertEquals(0, (cid[0] & 0xff) >>> 5, "config 0 in the first octet's top bits");
            assertEquals(8, decoder.decode(cid, 0, cid.length, serverId, 0));
            assertEquals("0001020304050607", Hex.encode(serverId, 0, 8));
        }
    }

    @Test
    void shouldSayWhatIsWrongWithAServerId() {
        assertEquals("AWS_LBC_QUIC_SERVER_ID is not set: label the pod's namespace"
                + " elbv2.k8s.aws/quic-server-id-inject=enabled so the AWS Load Balancer Controller injects it, or give"
                + " the target's QuicServerId explicitly (AwsNlb.serverId; the CLI's --server-id)", assertThrows(IllegalArgumentException.class,
                () -> AwsNlb.serverIdFromEnvironment(Map.of())).getMessage());
        assertEquals("AWS_LBC_QUIC_SERVER_ID: must be 8 octets (the NLB's QuicServerId): got 7",
                assertThrows(IllegalArgumentException.class, () -> AwsNlb.serverIdFromEnvironment(
                        Map.of(AwsNlb.SERVER_ID_VARIABLE, "AAECAwQFBg=="))).getMessage());
        assertEquals("--server-id: must be base64 of 8 octets (as the AWS Load Balancer Controller injects it), or 0x"
                + " and 16 hexadecimal digits: not base64 (Illegal base64 character 2d)",
                assertThrows(IllegalArgumentException.class, () -> AwsNlb.serverId("--server-id", "0a01-0203"))
                        .getMessage());
        assertEquals("--server-id: must be 0x and 16 hexadecimal digits, or base64 of 8 octets: not hexadecimal"
                + " after 0x", assertThrows(IllegalArgumentException.class,
                () -> AwsNlb.serverId("--server-id", "0x00010203040506g7")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> AwsNlb.config(12), "8 + 12 > 19 octets");
    }
}
