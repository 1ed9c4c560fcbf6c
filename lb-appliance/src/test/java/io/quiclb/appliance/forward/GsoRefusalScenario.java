package io.quiclb.appliance.forward;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.dropwizard.util.Duration;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.ServerId;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The scenario of {@link GsoRefusalTest}, run inside a network namespace whose loopback MTU is 1280 octets: bursts of
 * 24 datagrams of 1300 octets from one client to one server through a forwarder with GSO sends (epoll or io_uring). The kernel
 * refuses a UDP_SEGMENT send whose segments exceed the path MTU, while it fragments single datagrams; the forwarder
 * must send the refused batches again one datagram at a time. Prints one {@code result ...} line.
 */
public final class GsoRefusalScenario {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 6, 0, null, true);
    static final int BURSTS = 3;
    static final int BURST = 24;
    static final int SIZE = 1300;

    private GsoRefusalScenario() {
    }

    /** @param args the transport: epoll or io_uring */
    public static void main(String[] args) throws Exception {
        TransportKind transport = TransportKind.parse(args[0]);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(Worker.class)).addAppender(log);
        try (UdpBackend backend = new UdpBackend("a");
             ForwarderFixture fixture = new ForwarderFixture(transport, 1, Duration.seconds(60), 100,
                     List.of(CONFIG), List.of(ForwarderFixture.server("a", backend, Map.of(0, "0a01"))))) {
            CidEncoder encoder = new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"), 0);
            UdpClient client = fixture.client();
            for (int burst = 0; burst < BURSTS; burst++) {
                // Hold the worker while the burst queues, so it reads the burst in batches and gathers GSO runs.
                java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.CountDownLatch sent = new java.util.concurrent.CountDownLatch(1);
                fixture.forwarder.workerEventLoop(0).execute(() -> {
                    held.countDown();
                    try {
                        sent.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                held.await();
                for (int i = 0; i < BURST; i++) {
                    byte[] datagram = Arrays.copyOf(QuicPackets.shortHeader(encoder.nextConnectionId(),
                            "b" + burst + "-" + i), SIZE);
                    client.send(datagram);
                }
                sent.countDown();
            }
            ForwarderFixture.await(() -> backend.count() == BURSTS * BURST);
            long warnings = log.list.stream().filter(e -> e.getFormattedMessage().contains("refused a UDP GSO send"))
                    .count();
            System.out.println("result delivered=" + backend.count()
                    + " gsoSends=" + fixture.forwarder.total(ForwarderCounter.GSO_SENDS)
                    + " gsoRefused=" + fixture.forwarder.total(ForwarderCounter.GSO_REFUSED)
                    + " sendFailed=" + fixture.forwarder.total(ForwarderCounter.DROPPED_SEND_FAILED)
                    + " warnings=" + warnings);
        }
    }
}
