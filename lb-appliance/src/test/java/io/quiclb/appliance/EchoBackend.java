package io.quiclb.appliance;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A UDP backend on 127.0.0.1 that echoes every datagram to its sender, on a thread of its own, until closed, and
 * remembers every sender address it saw (the appliance's upstream 4-tuples) and how many datagrams came.
 */
public final class EchoBackend implements AutoCloseable {
    private final DatagramChannel socket;
    private final Thread thread;
    private final Set<SocketAddress> senders = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();

    public EchoBackend() throws IOException {
        socket = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        socket.setOption(StandardSocketOptions.SO_RCVBUF, 8 << 20);
        thread = new Thread(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(2048);
            while (socket.isOpen()) {
                try {
                    buffer.clear();
                    var from = socket.receive(buffer);
                    senders.add(from);
                    received.incrementAndGet();
                    buffer.flip();
                    socket.send(buffer, from);
                } catch (IOException e) {
                    return;
                }
            }
        }, "echo");
        thread.start();
    }

    /** @return every sender address seen so far */
    public Set<SocketAddress> senders() {
        return Set.copyOf(senders);
    }

    /** @return datagrams received so far */
    public int received() {
        return received.get();
    }

    /** @return the port it listens on */
    public int port() throws IOException {
        return ((InetSocketAddress) socket.getLocalAddress()).getPort();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
