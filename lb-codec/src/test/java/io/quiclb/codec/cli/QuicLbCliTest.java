package io.quiclb.codec.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QuicLbCliTest {
    private static final String KEY = "8f95f09245765f80256934e50c66207f";

    @Test
    void shouldDecodeDraftVectorsOnePerLine() {
        // draft-21 Appendix B: encrypted vector 1, the same CID with config 7, a short one and an unknown config.
        Result result = run("decode", "--config-id", "0", "--server-id-length", "3", "--nonce-length", "4",
                "--key", KEY, "0720b1d07b359d3c", "e720b1d07b359d3c", "0720b1d07b35", "2fcc381bc74cb4fb");
        assertEquals(0, result.exitCode);
        assertEquals("ed793a\nunroutable config-id-7\nunroutable cid-too-short\nunroutable unknown-config\n",
                result.out);
        assertEquals("", result.err);
    }

    @Test
    void shouldPrintTheThreadIdWhenConfigured() {
        String cid = run("encode", "--config-id", "2", "--server-id", "0a01", "--nonce", "01c3ffffffff",
                "--key", KEY).out.trim();
        Result result = run("decode", "--config-id", "2", "--server-id-length", "2", "--nonce-length", "6",
                "--key", KEY, "--thread-id-length", "2", cid);
        assertEquals("0a01 01c3\n", result.out);
        // A decoder that does not know about thread IDs still finds the server.
        assertEquals("0a01\n", run("decode", "--config-id", "2", "--server-id-length", "2", "--nonce-length", "6",
                "--key", KEY, cid).out);
    }

    @Test
    void shouldEncodeDraftVectors() {
        // draft-21 Appendix B encrypted vector 3 (single pass) and unencrypted vector 1.
        assertEquals("504dd2d05a7b0de9b2b9907afb5ecf8cc3\n", run("encode", "--config-id", "2", "--server-id",
                "ed793a51d49b8f5f", "--nonce", "ee080dbf48c0d1e5", "--key", KEY).out);
        assertEquals("07c4605e4504cc4f\n", run("encode", "--config-id", "0", "--server-id", "c4605e", "--nonce",
                "4504cc4f").out);
    }

    @Test
    void shouldLeaveTheLowBitsToChanceWithoutLengthEncoding() {
        String cid = run("encode", "--config-id", "0", "--server-id", "c4605e", "--nonce", "4504cc4f",
                "--no-length-encoding").out.trim();
        assertEquals(16, cid.length());
        assertEquals(0, Integer.parseInt(cid.substring(0, 2), 16) >>> 5);
        assertEquals("c4605e4504cc4f", cid.substring(2));
    }

    @Test
    void shouldGenerateDistinctKeys() {
        String first = run("keygen").out.trim();
        String second = run("keygen").out.trim();
        assertTrue(first.matches("[0-9a-f]{32}"), first);
        assertFalse(first.equals(second));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "                                                                  | missing command: decode, encode, keygen or aws-nlb (see --help)",
        "frobnicate                                                        | unknown command: frobnicate (expected decode, encode, keygen or aws-nlb)",
        "decode --server-id-length 3 --nonce-length 4 07c4605e4504cc4f     | missing required option: --config-id",
        "decode --config-id 7 --server-id-length 3 --nonce-length 4 07     | must be 0..6: configId=7",
        "decode --config-id 0 --server-id-length 3 --nonce-length 2 07     | must be 4..18: nonceLength=2",
        "decode --config-id x --server-id-length 3 --nonce-length 4 07     | must be an integer: --config-id=x",
        "decode --config-id 0 --server-id-length 3 --nonce-length 4        | missing CID: give one or more CIDs in hex",
        "decode --config-id 0 --server-id-length 3 --nonce-length 4 07 0z  | must be hex digits: CID 0z has a non-hex character at 1",
        "decode --config-id 0 --server-id-length 3 --nonce-length 4 --bogus 1 07 | unknown option: --bogus",
        "decode --config-id 0 --config-id 1 --server-id-length 3 --nonce-length 4 07 | option given twice: --config-id",
        "decode --config-id 0 --server-id-length 3 --nonce-length 4 --thread-id-length 1 07 | nonceLength - threadIdLength must be >= 4: nonceLength=4, threadIdLength=1",
        "encode --config-id 0 --server-id 0a01 --nonce 0102                | must be 4..18: nonceLength=2",
        "encode --config-id 0 --server-id 0a01 --nonce                     | option needs a value: --nonce",
        "encode --config-id 0 --server-id 0a01 --nonce 01020304 extra      | unexpected argument: extra",
        "keygen now                                                        | keygen takes no arguments: now",
    })
    void shouldRejectBadArgumentsWithOneLineAndExitTwo(String commandLine, String message) {
        Result result = run(commandLine == null ? new String[0] : commandLine.trim().split("\\s+"));
        assertEquals(2, result.exitCode);
        assertEquals("", result.out);
        assertEquals("error: " + message + "\n", result.err);
    }

    @Test
    void shouldNeverEchoAKey() {
        String badKey = "8f95f09245765f80256934e50c66207fab";
        Result wrongLength = run("encode", "--config-id", "0", "--server-id", "0a01", "--nonce", "01020304",
                "--key", badKey);
        assertEquals("error: key must be 16 octets: key.length=17\n", wrongLength.err);
        Result notHex = run("encode", "--config-id", "0", "--server-id", "0a01", "--nonce", "01020304",
                "--key", "8f95f09245765f80256934e50c6620zz");
        assertEquals("error: must be hex digits: --key has a non-hex character at 30\n", notHex.err);
        assertFalse(notHex.err.contains("8f95"));
    }

    @Test
    void shouldPrintUsageOnHelp() {
        Result result = run("--help");
        assertEquals(0, result.exitCode);
        assertTrue(result.out.startsWith("usage: java -jar lb-codec.jar"), result.out);
    }

    @Test
    void shouldPrintTheAwsNlbProfileAndItsCids() {
        Result fromEnvironment = run(java.util.Map.of("AWS_LBC_QUIC_SERVER_ID", "AAECAwQFBgc="), "aws-nlb",
                "--count", "2");
        assertEquals(0, fromEnvironment.exitCode, fromEnvironment.err);
        String[] lines = fromEnvironment.out.split("\n");
        assertEquals("aws-nlb: config 0, plaintext, server ID 0001020304050607 (8 octets), nonce 10 octets, CIDs of"
                + " 19 octets", lines[0]);
        assertEquals(3, lines.length);
        assertEquals("0001020304050607", run("decode", "--config-id", "0", "--server-id-length", "8",
                "--nonce-length", "10", lines[1]).out.trim());

        Result explicit = run(java.util.Map.of(), "aws-nlb", "--server-id", "0x0001020304050607", "--nonce-length",
                "7", "--count", "0");
        assertEquals("aws-nlb: config 0, plaintext, server ID 0001020304050607 (8 octets), nonce 7 octets, CIDs of"
                + " 16 octets", explicit.out.trim());

        Result missing = run(java.util.Map.of(), "aws-nlb");
        assertEquals(2, missing.exitCode);
        assertEquals("", missing.out);
        assertTrue(missing.err.startsWith("error: AWS_LBC_QUIC_SERVER_ID is not set"), missing.err);
    }

    private static Result run(String... args) {
        return run(System.getenv(), args);
    }

    private static Result run(java.util.Map<String, String> environment, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exitCode = QuicLbCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), environment);
        return new Result(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static final class Result {
        final int exitCode;
        final String out;
        final String err;

        Result(int exitCode, String out, String err) {
            this.exitCode = exitCode;
            this.out = out;
            this.err = err;
        }
    }
}
