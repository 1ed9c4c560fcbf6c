package io.quiclb.codec.cli;

import io.quiclb.codec.AesEngine;
import io.quiclb.codec.CidDecoder;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import io.quiclb.codec.profile.AwsNlb;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The codec jar's command line: {@code java -jar lb-codec.jar decode|encode|keygen ...}.
 *
 * <ul>
 *   <li>{@code decode --config-id N --server-id-length S --nonce-length L [--key HEX] [--thread-id-length T]
 *       CID...}: one line per CID, the server ID in lowercase hex (then a space and the thread ID in hex when
 *       T &gt; 0), or {@code unroutable} and the reason.</li>
 *   <li>{@code encode --config-id N --server-id HEX --nonce HEX [--key HEX] [--no-length-encoding]}: the CID in
 *       lowercase hex.</li>
 *   <li>{@code keygen}: a fresh random 16-octet key in hex.</li>
 *   <li>{@code aws-nlb [--server-id BASE64|0xHEX] [--nonce-length N] [--count K]}: the AWS NLB profile
 *       ({@link AwsNlb}): a line with its parameters, then K (default 3) fresh CIDs in hex; the server ID from
 *       {@code AWS_LBC_QUIC_SERVER_ID} when not given.</li>
 * </ul>
 *
 * <p>All arguments are validated before anything is printed: bad arguments give one line on stderr, nothing on
 * stdout, and exit code {@value #EXIT_USAGE}. Keys are never echoed.
 *
 * <p><b>Thread safety:</b> stateless; {@link #run} may be called from any thread.
 */
public final class QuicLbCli {
    /** Exit code for success. */
    public static final int EXIT_OK = 0;
    /** Exit code for bad arguments. */
    public static final int EXIT_USAGE = 2;

    private static final String USAGE = String.join("\n",
            "usage: java -jar lb-codec.jar <command> [options]",
            "  decode --config-id N --server-id-length S --nonce-length L [--key HEX] [--thread-id-length T] CID...",
            "      prints per CID: the server ID in hex [space, thread ID in hex], or 'unroutable <reason>'",
            "  encode --config-id N --server-id HEX --nonce HEX [--key HEX] [--no-length-encoding]",
            "      prints the CID in hex (the nonce is the raw nonce field)",
            "  keygen",
            "      prints a random 16-octet AES-128 key in hex",
            "  aws-nlb [--server-id BASE64|0xHEX] [--nonce-length N] [--count K]",
            "      AWS NLB QUIC passthrough: config 0, plaintext, 8-octet server ID (default: from",
            "      AWS_LBC_QUIC_SERVER_ID, base64), nonce N octets (default 10); prints the parameters and K CIDs",
            "Specification: draft-ietf-quic-load-balancers-21.");

    private QuicLbCli() {
    }

    /**
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs one command.
     *
     * @param args command line
     * @param out  where results go
     * @param err  where the one-line error goes
     * @return {@link #EXIT_OK} or {@link #EXIT_USAGE}
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, System.getenv());
    }

    /**
     * Runs one command with the given environment (the {@code aws-nlb} command reads
     * {@value AwsNlb#SERVER_ID_VARIABLE} from it).
     *
     * @param args        command line
     * @param out         where results go
     * @param err         where the one-line error goes
     * @param environment the environment
     * @return {@link #EXIT_OK} or {@link #EXIT_USAGE}
     */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> environment) {
        if (args.length == 1 && (args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h"))) {
            out.println(USAGE);
            return EXIT_OK;
        }
        List<String> lines;
        try {
            if (args.length == 0) {
                throw new IllegalArgumentException("missing command: decode, encode, keygen or aws-nlb (see --help)");
            }
            List<String> rest = Arrays.asList(args).subList(1, args.length);
            switch (args[0]) {
                case "decode":
                    lines = decode(rest);
                    break;
                case "encode":
                    lines = encode(rest);
                    break;
                case "keygen":
                    lines = keygen(rest);
                    break;
                case "aws-nlb":
                    lines = awsNlb(rest, environment);
                    break;
                default:
                    throw new IllegalArgumentException("unknown command: " + args[0]
                            + " (expected decode, encode, keygen or aws-nlb)");
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("error: " + e.getMessage());
            return EXIT_USAGE;
        }
        for (String line : lines) {
            out.println(line);
        }
        return EXIT_OK;
    }

    private static List<String> decode(List<String> args) {
        Arguments arguments = new Arguments(args, Set.of("--config-id", "--server-id-length", "--nonce-length",
                "--key", "--thread-id-length"), Set.of());
        QuicLbConfig config = QuicLbConfig.builder(arguments.requiredInt("--config-id"),
                        arguments.requiredInt("--server-id-length"), arguments.requiredInt("--nonce-length"))
                .key(key(arguments))
                .threadIdLength(arguments.optionalInt("--thread-id-length", 0))
                .build();
        if (arguments.operands().isEmpty()) {
            throw new IllegalArgumentException("missing CID: give one or more CIDs in hex");
        }
        List<byte[]> cids = new ArrayList<>();
        for (String operand : arguments.operands()) {
            cids.add(Hex.decode("CID " + operand, operand));
        }
        CidDecoder decoder = new CidDecoder(config);
        byte[] serverId = new byte[QuicLbConfig.MAX_SERVER_ID_LENGTH];
        List<String> lines = new ArrayList<>();
        for (byte[] cid : cids) {
            int result = decoder.decode(cid, 0, cid.length, serverId, 0);
            if (result <= 0) {
                lines.add("unroutable " + CidDecoder.resultName(result));
            } else if (config.threadIdLength() > 0) {
                String threadId = Integer.toHexString(decoder.threadId());
                String padding = "0".repeat(Math.max(0, 2 * config.threadIdLength() - threadId.length()));
                lines.add(Hex.encode(serverId, 0, result) + " " + padding + threadId);
            } else {
                lines.add(Hex.encode(serverId, 0, result));
            }
        }
        return lines;
    }

    private static List<String> encode(List<String> args) {
        Arguments arguments = new Arguments(args, Set.of("--config-id", "--server-id", "--nonce", "--key"),
                Set.of("--no-length-encoding"));
        if (!arguments.operands().isEmpty()) {
            throw new IllegalArgumentException("unexpected argument: " + arguments.operands().get(0));
        }
        ServerId serverId = ServerId.fromHex(arguments.required("--server-id"));
        byte[] nonce = Hex.decode("--nonce", arguments.required("--nonce"));
        QuicLbConfig config = QuicLbConfig.builder(arguments.requiredInt("--config-id"), serverId.length(),
                        nonce.length)
                .key(key(arguments))
                .lengthSelfEncoded(!arguments.flag("--no-length-encoding"))
                .build();
        return List.of(Hex.encode(CidEncoder.encodeWithNonce(config, serverId, nonce, AesEngine.JDK)));
    }

    private static List<String> keygen(List<String> args) {
        if (!args.isEmpty()) {
            throw new IllegalArgumentException("keygen takes no arguments: " + args.get(0));
        }
        byte[] key = new byte[QuicLbConfig.KEY_LENGTH];
        new SecureRandom().nextBytes(key);
        return List.of(Hex.encode(key));
    }

    private static List<String> awsNlb(List<String> args, Map<String, String> environment) {
        Arguments arguments = new Arguments(args, Set.of("--server-id", "--nonce-length", "--count"), Set.of());
        if (!arguments.operands().isEmpty()) {
            throw new IllegalArgumentException("unexpected argument: " + arguments.operands().get(0));
        }
        String given = arguments.optional("--server-id");
        ServerId serverId = given == null ? AwsNlb.serverIdFromEnvironment(environment)
                : AwsNlb.serverId("--server-id", given);
        QuicLbConfig config = AwsNlb.config(arguments.optionalInt("--nonce-length", AwsNlb.DEFAULT_NONCE_LENGTH));
        int count = arguments.optionalInt("--count", 3);
        if (count < 0 || count > 1000) {
            throw new IllegalArgumentException("--count must be 0..1000: " + count);
        }
        CidEncoder encoder = new CidEncoder(config, serverId, 0, AesEngine.JDK);
        List<String> lines = new ArrayList<>();
        lines.add("aws-nlb: config " + config.configId() + ", plaintext, server ID " + Hex.encode(serverId
                .toByteArray()) + " (" + AwsNlb.SERVER_ID_LENGTH + " octets), nonce " + config.nonceLength()
                + " octets, CIDs of " + encoder.cidLength() + " octets");
        for (int i = 0; i < count; i++) {
            lines.add(Hex.encode(encoder.nextConnectionId()));
        }
        return lines;
    }

    private static byte[] key(Arguments arguments) {
        String hex = arguments.optional("--key");
        return hex == null ? null : Hex.decode("--key", hex);
    }
}
