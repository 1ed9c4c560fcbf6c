package io.quiclb.appliance.quic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.forward.Forwarder;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.ServerId;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import tech.kwik.core.impl.QuicClientConnectionImpl;

/**
 * In-server steering a flood cannot grow (seed 000): forged short headers that decode to this server with either
 * thread ID hit one of its two SO_REUSEPORT sockets at full speed, so about half must be handed to the other
 * thread's event loop. The dispatcher moves a datagram only while that loop has fewer than its bound of tasks
 * waiting and drops the rest, counted; meanwhile a client that migrated through the appliance keeps getting every
 * request answered, and neither event loop ever holds more than the bound (sampled every 2 ms).
 */
class DispatcherFloodTest {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 8, 1,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);
    private static final int MAX_PENDING = 32;
    /** Requests the migrated client makes during the flood, 100 ms apart. */
    private static final int REQUESTS = 5;
    /** The flood stops when told, or after this long at the latest. */
    private static final long FLOOD_NANOS = TimeUnit.SECONDS.toNanos(30);

    @Test
    void shouldBoundTheHandOverWhileAMigratedClientIsAnswered() throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        ReusePortQuicServer server = null;
        Forwarder forwarder = null;
        try {
            server = new ReusePortQuicServer("s1", CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"), group, 2,
                    MAX_PENDING);
            forwarder = DispatcherMigrationTest.forwarderTo(server, CONFIG);
            QuicClientConnectionImpl connection = KwikClients.connect(forwarder.boundAddresses().get(0));
            try {
                assertTrue(KwikClients.request(connection).startsWith("server=s1"));
                assertTrue(KwikClients.migrate(connection), "the server issued a spare CID");
                assertTrue(KwikClients.request(connection).startsWith("server=s1"));

                List<SingleThreadEventExecutor> loops = new ArrayList<>();
                for (EventExecutor executor : group) {
                    loops.add((SingleThreadEventExecutor) executor);
                }
                AtomicBoolean flooding = new AtomicBoolean(true);
                AtomicInteger mostPending = new AtomicInteger();
                Thread sampler = new Thread(() -> {
                    while (flooding.get()) {
                        for (SingleThreadEventExecutor loop : loops) {
                            mostPending.accumulateAndGet(loop.pendingTasks(), Math::max);
                        }
                        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                    }
                }, "pending-sampler");
                sampler.start();
                Flood flood = new Flood(server.address());
                Thread flooder = new Thread(flood, "flood");
                flooder.start();
                int answered = 0;
                int sentBefore = flood.sent.get();
                for (int request = 0; request < REQUESTS; request++) {
                    if (KwikClients.request(connection).startsWith("server=s1")) {
                        answered++;
                    }
                    Thread.sleep(100);
                }
                int sentDuring = flood.sent.get() - sentBefore;
                boolean floodingThroughout = flooder.isAlive();
                flood.stop();
                flooder.join(5_000);
                flooding.set(false);
                sampler.join(5_000);
                ReusePortQuicServer s = server;
                System.out.printf("flood: %d forged datagrams (%d while the requests ran); moved 0->1 %d, 1->0 %d,"
                        + " dropped (owner full) %d; most tasks waiting at a loop %d; requests answered %d of %d%n",
                        flood.sent.get(), sentDuring, s.dispatcher.movedOut(0), s.dispatcher.movedOut(1),
                        s.dispatcher.droppedFull(), mostPending.get(), answered, REQUESTS);
                assertTrue(floodingThroughout && sentDuring > 0, "the flood ran while the requests were made");
                assertEquals(REQUESTS, answered, "every request of the migrated client answered during the flood");
                assertTrue(s.dispatcher.movedIn(0) + s.dispatcher.movedIn(1) + s.dispatcher.droppedFull() > 0,
                        "the forged headers naming the other thread were handed over or refused");
                // The dispatcher checks before it hands over, from one receiving thread per socket: at most one
                // hand-over per socket past the bound, plus the loop's own few tasks.
                assertTrue(mostPending.get() <= MAX_PENDING + 8, "tasks waiting at an event loop: "
                        + mostPending.get() + " (bound " + MAX_PENDING + ")");
            } finally {
                connection.close();
            }
        } finally {
            if (forwarder != null) {
                forwarder.stop();
            }
            if (server != null) {
                server.close();
            }
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Forged short headers with valid CIDs of this server, thread IDs 0 and 1 in turn, at full speed. */
    private static final class Flood implements Runnable {
        final AtomicInteger sent = new AtomicInteger();
        private final java.net.InetSocketAddress target;
        private final AtomicBoolean running = new AtomicBoolean(true);

        Flood(java.net.InetSocketAddress target) {
            this.target = target;
        }

        void stop() {
            running.set(false);
        }

        @Override
        public void run() {
            List<ByteBuffer> datagrams = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                byte[] cid = new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"), i % 2)
                        .nextConnectionId();
                ByteBuffer datagram = ByteBuffer.allocate(1 + cid.length + 100);
                datagram.put((byte) 0x43).put(cid).put(new byte[100]).flip();
                datagrams.add(datagram);
            }
            long end = System.nanoTime() + FLOOD_NANOS; // a bound, should stop() never come
            try (DatagramChannel socket = DatagramChannel.open()) {
                socket.connect(target);
                for (int i = 0; running.get() && System.nanoTime() - end < 0 && i < 50_000_000; i++) {
                    ByteBuffer datagram = datagrams.get(i & 63);
                    socket.write(datagram.rewind());
                    sent.incrementAndGet();
                }
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
