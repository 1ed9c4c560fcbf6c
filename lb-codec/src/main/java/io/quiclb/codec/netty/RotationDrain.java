package io.quiclb.codec.netty;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionAddress;
import io.quiclb.codec.CidDecoder;
import io.quiclb.codec.FirstOctet;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Config rotation for a Netty QUIC server's live connections (draft-21 §3.1): switches the server's
 * {@link QuicLbConnectionIdGenerator}s to the new configuration, then, paced over a period "like connection
 * draining", drains every connection that still receives datagrams on a CID of an older configuration.
 *
 * <p><b>What Netty 4.2.18 allows, and what is missing.</b> §3.1 wants the server to give each live connection CIDs
 * of the new configuration and retire the old ones (NEW_CONNECTION_ID with Retire Prior To). Netty's QUIC API cannot:
 * {@code QuicheQuicChannel.newSourceConnectionIds()} is the only caller of quiche's {@code quiche_conn_new_scid}, it
 * runs only while quiche reports {@code scids_left > 0} (a free slot under the peer's
 * {@code active_connection_id_limit}, i.e. after the client retired a CID), and it always passes
 * {@code retire_if_needed = false}; no public method of {@link QuicChannel} issues a CID or raises Retire Prior To.
 * So a connection moves to the new configuration only when its client retires its old CIDs itself (each retired CID
 * is replaced by one of the new configuration, since the generators issue only those). What the API does expose is
 * the CID the client sends to on the active path ({@link QuicChannel#localAddress()}, quiche's
 * {@code quiche_conn_source_id}; read through {@link ConnectionAddresses}); this class reads it and hands each connection still on an old configuration to
 * {@code drain} (by default a graceful application close, after which the client reconnects and gets new-config
 * CIDs). Netty would need a {@code QuicChannel} method that issues a new source CID with {@code retire_if_needed}
 * (or sets Retire Prior To) for the moving half of §3.1; with it, the drain would close only clients that ignore
 * Retire Prior To.
 *
 * <p><b>Pace.</b> {@link #rotate} takes a snapshot of the live connections and checks connection {@code i} of
 * {@code n} at {@code pace × (i + 1) / n} after the rotation, so the reconnections spread evenly over the pace
 * instead of arriving at once. A connection is on the new configuration when the CID its client sends to carries the
 * new config ID and, decoded under the new configuration, this server's new server ID (so a rotation that keeps the
 * config ID and changes its key or the server ID is handled too). A connection that completes its handshake on a CID
 * issued before the rotation is checked at the end of the pace, or at once when the pace is over. A connection found
 * on the new configuration is counted {@link #moved()} and left alone; it is not checked again (a client may in
 * principle go back to an unretired old CID later; RFC 9000 §5.1.1 lets it use any it holds). A second rotation
 * during a pace replaces the first: the first one's remaining checks are skipped and the second checks every live
 * connection over its own pace. So after the pace, plus the time a closed client takes to stop sending, a load
 * balancer sees no old-configuration CID from the connections drained, nor from those moved unless their clients go
 * back to an old CID they still hold; the old configuration can then be deleted (draft-21 §3.1's last step).
 *
 * <p>Usage: add {@link #tracker()} to every connection's pipeline (it is sharable), and call {@link #rotate} instead
 * of {@link QuicLbConnectionIdGenerator#update} once every load balancer has the new configuration:
 * <pre>{@code
 * RotationDrain rotation = new RotationDrain(generators, Duration.ofMinutes(5), RotationDrain.close(0x100, "rotation"));
 * builder.handler(new ChannelInitializer<QuicChannel>() {
 *     protected void initChannel(QuicChannel connection) {
 *         connection.pipeline().addLast(rotation.tracker(), new Http3ServerConnectionHandler(requests));
 *     }
 * });
 * ...
 * rotation.rotate(newConfig, newServerId);
 * }</pre>
 *
 * <p><b>Thread safety:</b> thread-safe. {@link #rotate} may be called from any thread (calls are serialised); the
 * tracker runs on each connection's event loop, and every check and every {@code drain} call runs on the event loop
 * of the connection it concerns. The set of live connections is a concurrent set shared by all event loops.
 */
public final class RotationDrain {
    private final List<QuicLbConnectionIdGenerator> generators;
    private final long paceNanos;
    private final Consumer<QuicChannel> drain;
    private final Set<QuicChannel> live = ConcurrentHashMap.newKeySet();
    private final Tracker tracker = new Tracker();
    private final LongAdder moved = new LongAdder();
    private final LongAdder drained = new LongAdder();
    private final LongAdder gone = new LongAdder();
    /** What the latest rotation moved to, or null before the first; replaced whole, so readers see one rotation. */
    private volatile Target target;

    /**
     * @param generators the server's generators (one per thread), all issuing CIDs of one length
     * @param pace       the period over which connections on an older configuration are drained; positive
     * @param drain      what to do with a connection still on an older configuration, called on its event loop;
     *                   {@link #close(int, String)} closes it
     * @throws IllegalArgumentException when {@code generators} is empty or their CID lengths differ, or when
     *                                  {@code pace} is not positive
     */
    public RotationDrain(List<QuicLbConnectionIdGenerator> generators, Duration pace, Consumer<QuicChannel> drain) {
        if (generators.isEmpty()) {
            throw new IllegalArgumentException("generators: must name at least one generator");
        }
        int length = generators.get(0).cidLength();
        for (QuicLbConnectionIdGenerator generator : generators) {
            if (generator.cidLength() != length) {
                throw new IllegalArgumentException("generators: must all issue CIDs of one length: "
                        + length + " and " + generator.cidLength());
            }
        }
        if (pace.isNegative() || pace.isZero()) {
            throw new IllegalArgumentException("pace: must be positive: " + pace);
        }
        this.generators = List.copyOf(generators);
        this.paceNanos = pace.toNanos();
        this.drain = Objects.requireNonNull(drain, "drain");
    }

    /**
     * A drain action that closes the connection with an application CONNECTION_CLOSE (RFC 9000 §10.2), which a
     * client treats as a graceful end: HTTP/3 servers pass H3_NO_ERROR, {@code 0x100} (RFC 9114 §8.1).
     *
     * @param applicationError the application error code (RFC 9000 allows up to 2^62-1; Netty takes an {@code int})
     * @param reason           the reason phrase sent to the client (US-ASCII)
     * @return the action
     */
    public static Consumer<QuicChannel> close(int applicationError, String reason) {
        byte[] phrase = reason.getBytes(StandardCharsets.US_ASCII);
        return connection -> connection.close(true, applicationError, Unpooled.wrappedBuffer(phrase));
    }

    /** @return the handler to add to every connection's pipeline; sharable */
    public ChannelHandler tracker() {
        return tracker;
    }

    /**
     * Switches every generator to {@code config} (draft-21 §3.1) and schedules the drain of the connections that
     * are live now over the pace.
     *
     * @param config   the new configuration; its CIDs must have the generators' length
     * @param serverId this server's ID in it
     * @return the number of live connections whose check was scheduled (one whose event loop is shutting down is
     *         counted {@link #gone()} instead)
     * @throws IllegalArgumentException when the configuration's CID length differs from the generators'; then no
     *                                  generator was changed
     */
    public synchronized int rotate(QuicLbConfig config, ServerId serverId) {
        generators.get(0).requireLength(config);
        for (QuicLbConnectionIdGenerator generator : generators) {
            generator.update(config, serverId);
        }
        Target now = new Target(config, serverId, System.nanoTime() + paceNanos);
        target = now;
        List<QuicChannel> snapshot = new ArrayList<>(live);
        int n = snapshot.size();
        int scheduled = 0;
        for (int i = 0; i < n; i++) {
            QuicChannel connection = snapshot.get(i);
            try {
                connection.eventLoop().schedule(() -> check(connection, now), paceNanos * (i + 1) / n,
                        TimeUnit.NANOSECONDS);
                scheduled++;
            } catch (RejectedExecutionException e) {
                gone.increment(); // its event loop is shutting down, and the connection with it
            }
        }
        return scheduled;
    }

    /** @return connections found on a CID of the rotated-to configuration when checked, since construction */
    public long moved() {
        return moved.sum();
    }

    /** @return connections handed to the drain action, since construction */
    public long drained() {
        return drained.sum();
    }

    /** @return connections that had closed by the time of their check, since construction */
    public long gone() {
        return gone.sum();
    }

    /** @return connections open now (tracked from channel active to channel inactive) */
    public int live() {
        return live.size();
    }

    private void check(QuicChannel connection, Target rotation) {
        if (rotation != target) {
            return; // a later rotation took a new snapshot, which holds this connection if it is still live
        }
        if (!connection.isActive()) {
            gone.increment();
            return;
        }
        if (rotation.holds(connection)) {
            moved.increment();
            return;
        }
        drained.increment();
        drain.accept(connection);
    }

    /** One rotation: the configuration and server ID moved to, and when its pace ends. Immutable. */
    private static final class Target {
        private final QuicLbConfig config;
        private final ServerId serverId;
        private final long paceEndNanos;

        Target(QuicLbConfig config, ServerId serverId, long paceEndNanos) {
            this.config = config;
            this.serverId = serverId;
            this.paceEndNanos = paceEndNanos;
        }

        /**
         * Whether the client sends to a CID of this rotation: its config ID, and under this configuration's key and
         * lengths this server's ID. The server ID is compared too because a rotation may keep the config ID and
         * change the key or the server ID (a re-key); a CID of the old key then decodes to another server ID. Runs
         * on the connection's event loop, at most once per connection and rotation, so it may allocate.
         */
        boolean holds(QuicChannel connection) {
            QuicConnectionAddress address = connection.localAddress();
            return address != null && carries(ConnectionAddresses.cid(address), config, serverId);
        }
    }

    /**
     * @param cid      a CID, or null
     * @param config   a configuration
     * @param serverId a server ID in it
     * @return whether {@code cid} carries {@code config}'s config ID and, decoded under {@code config}, {@code serverId}
     *         (draft-21 §3, §5); false for null or empty
     */
    static boolean carries(byte[] cid, QuicLbConfig config, ServerId serverId) {
        if (cid == null || cid.length == 0 || FirstOctet.configId(cid[0]) != config.configId()) {
            return false;
        }
        byte[] decoded = new byte[QuicLbConfig.MAX_SERVER_ID_LENGTH];
        int length = new CidDecoder(config).decode(cid, 0, cid.length, decoded, 0);
        return length == serverId.length() && serverId.matches(decoded, 0, length);
    }

    @ChannelHandler.Sharable
    private final class Tracker extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            QuicChannel connection = (QuicChannel) ctx.channel();
            live.add(connection);
            Target rotation = target;
            if (rotation != null && !rotation.holds(connection)) {
                // The handshake finished on a CID issued before the latest rotation: checked at the end of its pace,
                // or at once when the pace is over.
                long left = Math.max(0, rotation.paceEndNanos - System.nanoTime());
                connection.eventLoop().schedule(() -> check(connection, rotation), left, TimeUnit.NANOSECONDS);
            }
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            live.remove((QuicChannel) ctx.channel());
            super.channelInactive(ctx);
        }
    }
}
