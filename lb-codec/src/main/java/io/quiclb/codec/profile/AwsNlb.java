package io.quiclb.codec.profile;

import io.quiclb.codec.AesEngine;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;

/**
 * The CIDs AWS Network Load Balancer's QUIC passthrough routes on: QUIC-LB plaintext CIDs (no key) of config 0 with
 * an 8-octet server ID, the target's {@code QuicServerId}, and a nonce (draft-21 §5.2). The NLB reads the server ID
 * it registered for each target ("0x" followed by 16 hexadecimal digits in the AWS API, unique per listener and
 * immutable); in Kubernetes, the AWS Load Balancer Controller injects it into each pod as the environment variable
 * {@value #SERVER_ID_VARIABLE}, base64-encoded (namespace label {@code elbv2.k8s.aws/quic-server-id-inject=enabled}).
 * The controller's QUIC guide configures a 10-octet nonce, the default here, so CIDs are 19 octets; the NLB
 * supports QUIC version 1 only and answers no Version Negotiation.
 *
 * <p>Sources: AWS Elastic Load Balancing API, {@code TargetDescription.QuicServerId}; kubernetes-sigs/
 * aws-load-balancer-controller, docs/guide/use_cases/quic; AWS NLB listener documentation.
 *
 * <p><b>Thread safety:</b> stateless; the encoders it builds are per thread like any {@link CidEncoder}.
 */
public final class AwsNlb {
    /** The environment variable the AWS Load Balancer Controller sets in each pod: the server ID in base64. */
    public static final String SERVER_ID_VARIABLE = "AWS_LBC_QUIC_SERVER_ID";
    /** The config ID the NLB routes: 0. */
    public static final int CONFIG_ID = 0;
    /** Octets of the NLB's server ID. */
    public static final int SERVER_ID_LENGTH = 8;
    /** The nonce length of the controller's guide: CIDs of 1 + 8 + 10 = 19 octets. */
    public static final int DEFAULT_NONCE_LENGTH = 10;

    private AwsNlb() {
    }

    /** @return the NLB's config: ID 0, 8-octet server ID, {@value #DEFAULT_NONCE_LENGTH}-octet nonce, plaintext */
    public static QuicLbConfig config() {
        return config(DEFAULT_NONCE_LENGTH);
    }

    /**
     * @param nonceLength octets of nonce, 4..11 (the server ID and nonce fit in 19 octets)
     * @return the NLB's config with that nonce
     * @throws IllegalArgumentException when the nonce length is out of range
     */
    public static QuicLbConfig config(int nonceLength) {
        return QuicLbConfig.builder(CONFIG_ID, SERVER_ID_LENGTH, nonceLength).build();
    }

    /**
     * @param environment the process's environment ({@code System.getenv()})
     * @return the server ID the controller injected
     * @throws IllegalArgumentException naming {@value #SERVER_ID_VARIABLE} when it is missing or not 8 octets
     */
    public static ServerId serverIdFromEnvironment(Map<String, String> environment) {
        String value = environment.get(SERVER_ID_VARIABLE);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(SERVER_ID_VARIABLE + " is not set: label the pod's namespace"
                    + " elbv2.k8s.aws/quic-server-id-inject=enabled so the AWS Load Balancer Controller injects it,"
                    + " or give the target's QuicServerId explicitly (AwsNlb.serverId; the CLI's --server-id)");
        }
        return serverId(SERVER_ID_VARIABLE, value);
    }

    /**
     * Reads a server ID in either form AWS gives it: the controller's base64 ({@code AAECAwQFBgc=}) or the API's
     * {@code 0x} and 16 hexadecimal digits ({@code 0x0001020304050607}).
     *
     * @param name  where the value came from, for the message
     * @param value the value
     * @return the 8-octet server ID
     * @throws IllegalArgumentException naming {@code name}, the rule and the length found
     */
    public static ServerId serverId(String name, String value) {
        String text = value.trim();
        byte[] octets;
        if (text.toLowerCase(Locale.ROOT).startsWith("0x")) {
            String hex = text.substring(2);
            if (!hex.matches("[0-9a-fA-F]*") || hex.length() % 2 != 0) {
                throw new IllegalArgumentException(name + ": must be 0x and " + 2 * SERVER_ID_LENGTH + " hexadecimal"
                        + " digits, or base64 of " + SERVER_ID_LENGTH + " octets: not hexadecimal after 0x");
            }
            octets = new byte[hex.length() / 2];
            for (int i = 0; i < octets.length; i++) {
                octets[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
            }
        } else {
            try {
                octets = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": must be base64 of " + SERVER_ID_LENGTH + " octets (as the"
                        + " AWS Load Balancer Controller injects it), or 0x and " + 2 * SERVER_ID_LENGTH
                        + " hexadecimal digits: not base64 (" + e.getMessage() + ")", e);
            }
        }
        if (octets.length != SERVER_ID_LENGTH) {
            throw new IllegalArgumentException(name + ": must be " + SERVER_ID_LENGTH + " octets (the NLB's"
                    + " QuicServerId): got " + octets.length);
        }
        return ServerId.of(octets);
    }

    /**
     * @param serverId this target's server ID
     * @return an encoder of the NLB's CIDs, for one thread
     */
    public static CidEncoder encoder(ServerId serverId) {
        return new CidEncoder(config(), serverId, 0, AesEngine.JDK);
    }
}
