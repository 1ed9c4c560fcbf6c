package io.quiclb.appliance.forward;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The loopback traffic of a data-path warm-up ({@link DataPathWarmUp}): clients that send first flights and short
 * headers to a listener, and servers that answer each datagram as a QUIC server would (a long header with a
 * server-chosen source CID to a long header, a short header to a short header).
 *
 * <p>Each client, in each round: one 1200-octet Initial (v1) with a DCID of config ID 7 (unroutable, so routed by
 * the draft-21 §4.2 tables or the fallback), runs of short headers of 1200 and then 64 octets to routable CIDs of
 * both servers (runs of equal size: UDP GSO sends upstream), one short header whose DCID is unroutable, and one
 * datagram too short to route. Clients reopen their sockets every {@value #ROUNDS_PER_TUPLE} rounds, so new
 * 4-tuples open new flows all along.
 *
 * <p>JDK sockets, not Netty's: the forwarder's Netty channels meet only the forwarder's own handlers, so the warm-up
 * adds no receiver type to their call sites.
 *
 * <p><b>Thread safety:</b> {@link #start}, {@link #run} and {@link #close} from one thread; each server answers on
 * a daemon thread of its own, and {@link #close} stops and joins it.
 */
final class WarmUpTraffic implements AutoCloseable {
    private static final int CLIENTS = 8;
    private static final int RUN = 8;
    private static final int LARGE = 1200;
    private static final int SMALL = 64;
    private static final int CID_LENGTH = 8;
    private static final int ROUNDS_PER_TUPLE = 32;
    /** Rounds at most, whatever the time left: bounds the loop in count as well as in time. */
    private static final int MAX_ROUNDS = 1_000_000;
    private static final int SERVER_TIMEOUT_MILLIS = 50;
    private static final int ROUND_WAIT_MILLIS = 50;
    private static final int DRAIN_WAIT_MILLIS = 500;
    private static final int MAX_SELECTS = 1024;

    private final InetAddress loopback = InetAddress.getLoopbackAddress();
    private final List<Server> servers = new ArrayList<>();
    private final SplittableRandom random = new SplittableRandom();
    private final byte[] datagram = new byte[LARGE];
    private final ByteBuffer replies = ByteBuffer.allocate(2048);
    /** The listener under warm-up. */
    private InetSocketAddress target;
    private long sent;
    private long answered;

    /**
     * Starts the servers.
     *
     * @param serverCids for each server, the CIDs it issues as its own (its routable CIDs; may be empty)
     * @return the servers' addresses, in the order given
     * @throws IOException when a loopback socket cannot be opened
     */
    List<InetSocketAddress> start(List<List<byte[]>> serverCids) throws IOException {
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (List<byte[]> cids : serverCids) {
            DatagramSocket socket = new DatagramSocket(new InetSocketAddress(loopback, 0));
            Server server;
            try {
                server = new Server(socket, cids);
            } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
            }
            servers.add(server);
            server.thread.start();
            addresses.add((InetSocketAddress) server.socket.getLocalSocketAddress());
        }
        return addresses;
    }

    /**
     * Sends the clients' rounds to {@code listener} until {@code deadline} or {@value #MAX_ROUNDS} rounds, then
     * waits (at most {@value #DRAIN_WAIT_MILLIS} ms) for the replies still on their way.
     *
     * @param listener the listener under warm-up
     * @param routable for each server, CIDs that route to it (empty lists when no configuration is in force)
     * @param deadline {@link System#nanoTime()} at which to stop sending
     * @throws IOException when a client socket cannot be opened or a send fails (e.g. no route to loopback)
     */
    void run(InetSocketAddress listener, List<List<byte[]>> routable, long deadline) throws IOException {
        DatagramChannel[] clients = new DatagramChannel[CLIENTS];
        this.target = listener;
        try (Selector selector = Selector.open()) {
            long expected = 0;
            for (int round = 0; round < MAX_ROUNDS && System.nanoTime() - deadline < 0; round++) {
                if (round % ROUNDS_PER_TUPLE == 0) {
                    // The replies to the old sockets first: one that came after its socket closed would be lost.
                    awaitReplies(selector, expected, DRAIN_WAIT_MILLIS);
                    reopen(clients, selector);
                }
                for (DatagramChannel client : clients) {
                    expected += sendRound(client, routable, round);
                }
                awaitReplies(selector, expected - expected / 8, ROUND_WAIT_MILLIS);
            }
            awaitReplies(selector, expected, DRAIN_WAIT_MILLIS);
        } finally {
            for (DatagramChannel client : clients) {
                if (client != null) {
                    client.close();
                }
            }
        }
    }

    /**
     * Reads replies until {@code target} were received in all or {@code millis} passed. Paces the clients to what the
     * forwarder relays (slowly while it is still cold): a round waits for most of the replies sent so far, so the
     * listener's receive queue holds about a round, and replies find their client's socket still open.
     */
    private void awaitReplies(Selector selector, long target, long millis) throws IOException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (int i = 0; i < MAX_SELECTS && answered < target; i++) {
            long left = TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime());
            if (left <= 0 || selector.select(left) == 0) {
                return;
            }
            for (SelectionKey key : selector.selectedKeys()) {
                receive((DatagramChannel) key.channel());
            }
            selector.selectedKeys().clear();
        }
    }

    private void reopen(DatagramChannel[] clients, Selector selector) throws IOException {
        for (int i = 0; i < clients.length; i++) {
            if (clients[i] != null) {
                clients[i].close();
            }
            clients[i] = DatagramChannel.open().bind(new InetSocketAddress(loopback, 0));
            clients[i].configureBlocking(false);
            clients[i].register(selector, SelectionKey.OP_READ);
        }
    }

    /** @return how many of the round's datagrams should be answered */
    private int sendRound(DatagramChannel client, List<List<byte[]>> routable, int round) throws IOException {
        int answerable = 2;
        send(client, initial());
        for (int size : new int[] {LARGE, SMALL}) {
            for (List<byte[]> cids : routable) {
                if (cids.isEmpty()) {
                    continue;
                }
                byte[] cid = cids.get(round % cids.size());
                for (int i = 0; i < RUN; i++) {
                    send(client, shortHeader(cid, size));
                }
                answerable += RUN;
            }
        }
        byte[] unroutable = randomCid(0xe0);
        send(client, shortHeader(unroutable, SMALL));
        datagram[0] = 0x40;
        send(client, ByteBuffer.wrap(datagram, 0, 1));
        return answerable;
    }

    /** A client Initial: long header, v1, a random DCID of config ID 7, a random SCID, padded to 1200 octets. */
    private ByteBuffer initial() {
        Arrays.fill(datagram, (byte) 0);
        longHeader(datagram, 0xc3, randomCid(0xe0), randomCid(0)); // then token length 0, the rest zeros
        return ByteBuffer.wrap(datagram, 0, LARGE);
    }

    private ByteBuffer shortHeader(byte[] cid, int size) {
        datagram[0] = (byte) (0x40 | random.nextInt(0x40));
        System.arraycopy(cid, 0, datagram, 1, cid.length);
        return ByteBuffer.wrap(datagram, 0, size);
    }

    private byte[] randomCid(int firstOctetBits) {
        byte[] cid = new byte[CID_LENGTH];
        random.nextBytes(cid);
        cid[0] = (byte) (cid[0] | firstOctetBits);
        return cid;
    }

    private void send(DatagramChannel client, ByteBuffer buffer) throws IOException {
        if (client.send(buffer, target) > 0) {
            sent++;
        }
    }

    private void receive(DatagramChannel client) throws IOException {
        for (int i = 0; i < 4 * RUN; i++) {
            replies.clear();
            SocketAddress from = client.receive(replies);
            if (from == null) {
                return;
            }
            answered++;
        }
    }

    /** @return datagrams the clients sent */
    long sent() {
        return sent;
    }

    /** @return replies the clients received */
    long answered() {
        return answered;
    }

    /** Writes a v1 long header's first octets; returns the offset after the source CID. */
    static int longHeader(byte[] into, int firstOctet, byte[] dcid, byte[] scid) {
        into[0] = (byte) firstOctet;
        into[1] = (byte) (Router.QUIC_V1 >>> 24);
        into[2] = (byte) (Router.QUIC_V1 >>> 16);
        into[3] = (byte) (Router.QUIC_V1 >>> 8);
        into[4] = (byte) Router.QUIC_V1;
        into[5] = (byte) dcid.length;
        System.arraycopy(dcid, 0, into, 6, dcid.length);
        int at = 6 + dcid.length;
        into[at] = (byte) scid.length;
        System.arraycopy(scid, 0, into, at + 1, scid.length);
        return at + 1 + scid.length;
    }

    /** Stops the servers, closes their sockets, then joins their threads (1 s each at most; an interrupt is kept). */
    @Override
    public void close() {
        for (Server server : servers) {
            server.running = false;
            server.socket.close();
        }
        boolean interrupted = false;
        for (Server server : servers) {
            try {
                server.thread.join(1000);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A server: answers a long header with a Handshake (v1) whose DCID is the client's SCID and whose SCID is one of
     * its own CIDs, and a short header with a short header of the same size.
     */
    private static final class Server implements Runnable {
        private final DatagramSocket socket;
        private final List<byte[]> cids;
        private final Thread thread;
        private volatile boolean running = true;

        Server(DatagramSocket socket, List<byte[]> cids) throws IOException {
            this.socket = socket;
            this.cids = cids;
            socket.setSoTimeout(SERVER_TIMEOUT_MILLIS);
            this.thread = new Thread(this, "quiclb-warm-up-server-" + socket.getLocalPort());
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            byte[] in = new byte[2048];
            byte[] out = new byte[2048];
            DatagramPacket request = new DatagramPacket(in, in.length);
            int next = 0;
            byte[] unroutable = new byte[CID_LENGTH];
            while (running) {
                try {
                    request.setLength(in.length);
                    socket.receive(request);
                    int length = request.getLength();
                    if (length < 1) {
                        continue; // nothing to answer (not one of the warm-up's own datagrams)
                    }
                    if ((in[0] & 0x80) != 0 && length > 7) {
                        unroutable[0] = (byte) 0xe0;
                        unroutable[1] = (byte) next;
                        unroutable[2] = (byte) (next >>> 8);
                        byte[] clientScid = clientScid(in, length);
                        // Every other one a CID of config ID 7: unroutable, so the forwarder learns it (§4.2).
                        byte[] own = cids.isEmpty() || (next & 1) == 1 ? unroutable : cids.get(next % cids.size());
                        next++;
                        Arrays.fill(out, (byte) 0);
                        longHeader(out, 0xe0, clientScid, own);
                    } else {
                        out[0] = 0x40;
                        System.arraycopy(in, 1, out, 1, Math.min(CID_LENGTH, length - 1));
                    }
                    socket.send(new DatagramPacket(out, length, request.getSocketAddress()));
                } catch (SocketTimeoutException e) {
                    // Checks whether to stop.
                } catch (IOException e) {
                    if (running) {
                        continue; // a send refused by a closed client: the next datagram goes on
                    }
                    return;
                }
            }
        }

        private static byte[] clientScid(byte[] in, int length) {
            int dcidLength = in[5] & 0xff;
            int at = 6 + dcidLength;
            if (at >= length) {
                return new byte[0];
            }
            int scidLength = Math.min(in[at] & 0xff, length - at - 1);
            return Arrays.copyOfRange(in, at + 1, at + 1 + scidLength);
        }
    }
}
