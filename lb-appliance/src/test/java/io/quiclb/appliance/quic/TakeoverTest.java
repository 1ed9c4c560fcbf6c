package io.quiclb.appliance.quic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.EchoBackend;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.quiclb.appliance.Prerequisites;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.ServerId;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import tech.kwik.core.QuicClientConnection;

/**
 * Hitless takeover under load, the appliance as an operator runs it: 16 UDP clients send CID-routed datagrams
 * through it to an echoing backend and count every reply, and 10 kwik connections to real Netty QUIC servers make a
 * request every 100 ms, while {@code takeover} replaces the appliance three times in a row. Nothing may be lost in
 * either direction, every request must be answered, each old appliance must exit 0 by itself, the servers must see
 * each client behind one address throughout (the NAT flows and their upstream sockets are handed over: no NAT
 * rebinding), and changes made through the API before the first takeover must still be in force after the last.
 *
 * <p>The rate is 5,000 datagrams per second, not the 20,000 of the issue: on the 2-vCPU machine that runs CI,
 * 20,000 per second lose datagrams with no takeover at all (the load, the echo, the QUIC servers and two appliance
 * JVMs share two cores); docs/performance.md has the measurements. {@code -Dquiclb.takeoverRate=20000} runs it at
 * the rate on a machine with the cores for it.
 */
class TakeoverTest {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 8, 1,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);
    private static final int CLIENTS = 16;
    private static final int RATE = Integer.getInteger("quiclb.takeoverRate", 5_000);
    private static final int QUIC_CONNECTIONS = 10;

    @TempDir
    Path directory;
    private MultiThreadIoEventLoopGroup group;
    private final List<TestQuicServer> servers = new ArrayList<>();

    @BeforeEach
    void startServers() throws Exception {
        Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/prlimit")),
                "prlimit sets the descriptor limit: apt-get install util-linux");
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        for (int i = 1; i <= 2; i++) {
            servers.add(new TestQuicServer("s" + i, CONFIG.toQuicLbConfig(), ServerId.fromHex("0a0" + i), group));
        }
    }

    @AfterEach
    void stopServers() {
        servers.forEach(TestQuicServer::close);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void shouldHandOverThreeTimesUnderLoadWithoutLosingADatagramOrARequest(String transport) throws Exception {
        try (EchoBackend echo = new EchoBackend()) {
            String yaml = "  - {name: s1, address: \"127.0.0.1:" + servers.get(0).address().getPort()
                    + "\", serverIds: {0: \"0a01\"}}\n"
                    + "  - {name: s2, address: \"127.0.0.1:" + servers.get(1).address().getPort()
                    + "\", serverIds: {0: \"0a02\"}}\n"
                    + "  - {name: echo, address: \"127.0.0.1:" + echo.port() + "\", serverIds: {0: \"0b01\"},"
                    + " probe: none}\n";
            ApplianceProcess appliance = ApplianceProcess.start(directory,
                    "  transport: " + transport + "\n  workers: 2\n  drainTimeout: 20s", yaml, 20_000);
            try {
                // First flights go to the QUIC servers only: the echo backend and the server added here are drained.
                assertEquals(200, appliance.change("PUT", "/api/v1/servers/added-before",
                        "{\"address\":\"127.0.0.1:9\",\"probe\":\"none\"}"));
                assertEquals(200, appliance.change("POST", "/api/v1/servers/added-before/drain", null));
                assertEquals(200, appliance.change("POST", "/api/v1/servers/echo/drain", null));
                // The QUIC connections are set up before the datagram load starts: handshakes of a cold appliance
                // under load are not what this test is about.
                try (QuicLoad quic = new QuicLoad(appliance.listener());
                     UdpLoad load = new UdpLoad(appliance.listener())) {
                    Thread.sleep(2_000);
                    for (int round = 1; round <= 3; round++) {
                        long answeredBefore = quic.answered.get();
                        long started = System.nanoTime();
                        ApplianceProcess next = appliance.takeover();
                        long ready = System.nanoTime();
                        int exit = appliance.waitFor(60, TimeUnit.SECONDS);
                        if (exit != 0) {
                            next.close();
                        }
                        assertEquals(0, exit, "takeover " + round + ": the old appliance exits 0 by itself:\n"
                                + String.join("\n", appliance.lines()));
                        String adopted = next.lines().stream().filter(l -> l.contains("NAT flow(s) on")).findFirst()
                                .orElse("none");
                        assertTrue(adopted.contains("adopted") && !adopted.contains("not adopted"),
                                "takeover " + round + ": the new appliance adopted every flow:\n"
                                + String.join("\n", next.lines()));
                        System.out.printf("takeover %d: new appliance ready after %d ms, old one gone after %d ms;"
                                + " %s%n", round, TimeUnit.NANOSECONDS.toMillis(ready - started),
                                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                                adopted.substring(adopted.indexOf("takeover:")));
                        appliance.close();
                        appliance = next;
                        Thread.sleep(2_000);
                        assertTrue(quic.answered.get() - answeredBefore >= QUIC_CONNECTIONS * 10L,
                                "takeover " + round + ": requests answered across it: "
                                + (quic.answered.get() - answeredBefore) + ", failures " + quic.failures
                                + " (first: " + quic.firstFailure + ")");
                    }
                    quic.stop();
                    load.stop();
                    System.out.printf("UDP: %d sent, %d replies; QUIC: %d requests, %d answered%n", load.sent(),
                            load.received(), quic.requests.get(), quic.answered.get());
                    assertEquals(0, quic.failures.get(), quic.failures + " QUIC requests failed, the first with "
                            + quic.firstFailure);
                    assertEquals(quic.requests.get(), quic.answered.get());
                    assertTrue(load.sent() >= RATE * 20L, "the load ran: " + load.sent());
                    load.assertEveryDatagramAnswered();
                    assertEquals(CLIENTS, echo.senders().size(),
                            "the echo backend saw each client behind one upstream address: " + echo.senders());
                    quic.assertOneAddressPerConnection();
                }
                String added = appliance.get("/api/v1/servers/added-before").body();
                assertTrue(added.contains("\"draining\":true"),
                        "the changes made before the first takeover are in force after the last: " + added);
            } finally {
                appliance.close();
            }
        }
    }

    /**
     * 16 clients, each with its own socket and CID of the echo server, sending {@value #RATE} datagrams per second
     * in all; every datagram carries its client and sequence number, and each reply is counted once.
     */
    private static final class UdpLoad implements AutoCloseable {
        private final List<DatagramChannel> sockets = new ArrayList<>();
        private final AtomicLongArray sent = new AtomicLongArray(CLIENTS);
        private final AtomicLongArray received = new AtomicLongArray(CLIENTS);
        private final AtomicBoolean sending = new AtomicBoolean(true);
        private final AtomicBoolean receiving = new AtomicBoolean(true);
        private final Thread sender;
        private final Thread receiver;
        private final Selector selector;

        UdpLoad(InetSocketAddress appliance) throws Exception {
            selector = Selector.open();
            List<byte[]> datagrams = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                DatagramChannel socket = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
                socket.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
                socket.connect(appliance);
                socket.configureBlocking(false);
                socket.register(selector, SelectionKey.OP_READ, i);
                sockets.add(socket);
                byte[] cid = new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex("0b01"), 0).nextConnectionId();
                byte[] datagram = new byte[1 + cid.length + 12 + 64];
                datagram[0] = 0x43;
                System.arraycopy(cid, 0, datagram, 1, cid.length);
                datagrams.add(datagram);
            }
            sender = new Thread(() -> {
                long interval = TimeUnit.SECONDS.toNanos(1) * CLIENTS / RATE;
                long next = System.nanoTime();
                long sequence = 0;
                while (sending.get()) {
                    for (int i = 0; i < CLIENTS; i++) {
                        ByteBuffer buffer = ByteBuffer.wrap(datagrams.get(i).clone());
                        buffer.putInt(1 + 11, i).putLong(1 + 11 + 4, sequence);
                        try {
                            if (sockets.get(i).write(buffer.rewind()) > 0) {
                                sent.incrementAndGet(i);
                            }
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    sequence++;
                    next += interval;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                }
            }, "udp-load-send");
            receiver = new Thread(() -> {
                ByteBuffer buffer = ByteBuffer.allocate(2048);
                while (receiving.get()) {
                    try {
                        if (selector.select(100) == 0) {
                            continue;
                        }
                        for (SelectionKey key : selector.selectedKeys()) {
                            DatagramChannel socket = (DatagramChannel) key.channel();
                            while (true) {
                                buffer.clear();
                                if (socket.receive(buffer) == null) {
                                    break;
                                }
                                received.incrementAndGet((Integer) key.attachment());
                            }
                        }
                        selector.selectedKeys().clear();
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }, "udp-load-receive");
            sender.start();
            receiver.start();
        }

        void stop() throws InterruptedException {
            sending.set(false);
            sender.join(5_000);
            for (int wait = 0; wait < 50 && received() < sent(); wait++) {
                Thread.sleep(100); // replies still in flight, bounded at 5 s
            }
            receiving.set(false);
            receiver.join(5_000);
        }

        long sent() {
            long total = 0;
            for (int i = 0; i < CLIENTS; i++) {
                total += sent.get(i);
            }
            return total;
        }

        long received() {
            long total = 0;
            for (int i = 0; i < CLIENTS; i++) {
                total += received.get(i);
            }
            return total;
        }

        void assertEveryDatagramAnswered() {
            for (int i = 0; i < CLIENTS; i++) {
                assertEquals(sent.get(i), received.get(i), "client " + i + ": replies to its datagrams");
            }
        }

        @Override
        public void close() throws IOException {
            sending.set(false);
            receiving.set(false);
            for (DatagramChannel socket : sockets) {
                socket.close();
            }
            selector.close();
        }
    }

    /**
     * 10 kwik connections through the appliance, each making a request every 100 ms and remembering the client
     * address the server saw.
     */
    private static final class QuicLoad implements AutoCloseable {
        private final List<java.util.Set<String>> remotes = new ArrayList<>();
        final AtomicLong requests = new AtomicLong();
        final AtomicLong answered = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
        volatile String firstFailure;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();
        private final List<QuicClientConnection> connections = new ArrayList<>();

        QuicLoad(InetSocketAddress appliance) throws IOException {
            for (int i = 0; i < QUIC_CONNECTIONS; i++) {
                QuicClientConnection connection;
                try {
                    connection = KwikClients.connect(appliance);
                } catch (IOException e) {
                    connection = KwikClients.connect(appliance); // once more: a lost first flight on a cold JVM
                }
                QuicClientConnection established = connection;
                connections.add(established);
                java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
                remotes.add(seen);
                Thread thread = new Thread(() -> {
                    while (running.get()) {
                        requests.incrementAndGet();
                        try {
                            String answer = KwikClients.request(established);
                            if (answer.startsWith("server=s")) {
                                seen.add(KwikClients.field(answer, "remote"));
                                answered.incrementAndGet();
                            }
                        } catch (IOException | RuntimeException e) {
                            if (failures.incrementAndGet() == 1) {
                                firstFailure = String.valueOf(e);
                            }
                        }
                        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                    }
                }, "quic-load-" + i);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            }
        }

        /** Each server saw its connection's client behind one address: no takeover was a NAT rebinding. */
        void assertOneAddressPerConnection() {
            for (int i = 0; i < remotes.size(); i++) {
                assertEquals(1, remotes.get(i).size(), "connection " + i + ": client addresses the server saw");
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread thread : threads) {
                thread.join(15_000);
            }
        }

        @Override
        public void close() {
            running.set(false);
            connections.forEach(QuicClientConnection::close);
        }
    }
}
