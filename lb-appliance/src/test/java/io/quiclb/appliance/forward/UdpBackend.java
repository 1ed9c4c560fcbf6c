package io.quiclb.appliance.forward;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A backend for tests: a UDP socket on 127.0.0.1 that records every datagram it receives and, when asked,
 * echoes it back prefixed with its name. Its reader thread stops when the backend is closed.
 */
final class UdpBackend implements AutoCloseable {
    final String name;
    private final DatagramSocket socket;
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final AtomicLong count = new AtomicLong();
    private final Thread reader;
    private volatile boolean echo;
    private volatile java.util.function.Function<byte[], byte[]> answer;

    record Received(byte[] payload, InetSocketAddress sender) {
    }

    UdpBackend(String name) throws SocketException {
        this.name = name;
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.socket.setReceiveBufferSize(4 << 20);
        this.reader = new Thread(this::read, "backend-" + name);
        this.reader.setDaemon(true);
        this.reader.start();
    }

    UdpBackend echoing() {
        echo = true;
        return this;
    }

    /** Answers every datagram with what {@code answer} makes of it (null: no answer). */
    UdpBackend answering(java.util.function.Function<byte[], byte[]> answer) {
        this.answer = answer;
        return this;
    }

    String address() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    long count() {
        return count.get();
    }

    /** @return the next datagram, or null after the timeout */
    Received poll(long millis) throws InterruptedException {
        return received.poll(millis, TimeUnit.MILLISECONDS);
    }

    private void read() {
        byte[] buffer = new byte[65536];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
            } catch (IOException e) {
                return;
            }
            byte[] payload = Arrays.copyOf(packet.getData(), packet.getLength());
            InetSocketAddress sender = (InetSocketAddress) packet.getSocketAddress();
            count.incrementAndGet();
            if (received.size() < 100_000) {
                received.add(new Received(payload, sender));
            }
            java.util.function.Function<byte[], byte[]> answering = answer;
            if (answering != null) {
                byte[] reply = answering.apply(payload);
                if (reply != null) {
                    try {
                        socket.send(new DatagramPacket(reply, reply.length, sender));
                    } catch (IOException e) {
                        return;
                    }
                }
            }
            if (echo) {
                byte[] prefix = (name + ":").getBytes(StandardCharsets.US_ASCII);
                byte[] reply = new byte[prefix.length + payload.length];
                System.arraycopy(prefix, 0, reply, 0, prefix.length);
                System.arraycopy(payload, 0, reply, prefix.length, payload.length);
                try {
                    socket.send(new DatagramPacket(reply, reply.length, sender));
                } catch (IOException e) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        socket.close();
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
