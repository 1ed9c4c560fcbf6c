package io.quiclb.appliance.quic;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * A UDP relay in front of the appliance that plays a NAT: it forwards the client's datagrams from an egress socket,
 * and {@link #rebind()} swaps that socket for one on a new port, so the appliance sees the same connection (same
 * DCID) arrive from a new 4-tuple. Replies to the current egress go back to the client. Every thread it starts ends
 * when it is closed.
 */
final class RebindingRelay implements AutoCloseable {
    private final DatagramSocket front;
    private final InetSocketAddress upstream;
    private volatile DatagramSocket egress;
    private volatile SocketAddress client;
    private final Thread frontReader;

    RebindingRelay(InetSocketAddress upstream) throws IOException {
        this.upstream = upstream;
        this.front = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.egress = openEgress();
        this.frontReader = new Thread(this::forwardFromClient, "relay-front");
        frontReader.setDaemon(true);
        frontReader.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) front.getLocalSocketAddress();
    }

    /** NAT rebinding: later datagrams leave from a new port. */
    void rebind() throws IOException {
        DatagramSocket old = egress;
        egress = openEgress();
        old.close();
    }

    private DatagramSocket openEgress() throws IOException {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread reader = new Thread(() -> forwardToClient(socket), "relay-egress-" + socket.getLocalPort());
        reader.setDaemon(true);
        reader.start();
        return socket;
    }

    private void forwardFromClient() {
        byte[] buffer = new byte[65536];
        while (!front.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                front.receive(packet);
                client = packet.getSocketAddress();
                egress.send(new DatagramPacket(buffer, packet.getLength(), upstream));
            } catch (IOException e) {
                if (front.isClosed()) {
                    return;
                }
            }
        }
    }

    private void forwardToClient(DatagramSocket socket) {
        byte[] buffer = new byte[65536];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
                SocketAddress to = client;
                if (to != null && socket == egress) {
                    front.send(new DatagramPacket(buffer, packet.getLength(), to));
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        front.close();
        egress.close();
        try {
            frontReader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
