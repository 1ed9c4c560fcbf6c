package io.quiclb.appliance.forward;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.Arrays;

/** A client for tests: one UDP socket on 127.0.0.1 (a new one for a new port, as after NAT rebinding). */
final class UdpClient implements AutoCloseable {
    private final DatagramSocket socket;
    private final InetSocketAddress forwarder;

    UdpClient(InetSocketAddress forwarder) throws IOException {
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.socket.setSendBufferSize(4 << 20);
        this.forwarder = forwarder;
    }

    int port() {
        return socket.getLocalPort();
    }

    void send(byte[] datagram) throws IOException {
        socket.send(new DatagramPacket(datagram, datagram.length, forwarder));
    }

    /** @return the next datagram with its sender, or null after the timeout */
    DatagramPacket receive(int millis) throws IOException {
        socket.setSoTimeout(millis);
        byte[] buffer = new byte[65536];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        try {
            socket.receive(packet);
        } catch (SocketTimeoutException e) {
            return null;
        }
        packet.setData(Arrays.copyOf(packet.getData(), packet.getLength()));
        return packet;
    }

    @Override
    public void close() {
        socket.close();
    }
}
