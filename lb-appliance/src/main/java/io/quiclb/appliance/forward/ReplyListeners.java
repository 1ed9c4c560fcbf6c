package io.quiclb.appliance.forward;

import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import java.util.Arrays;

/**
 * A worker's listener sockets, one per local address number ({@link LocalAddresses}), through which replies go back
 * to clients from the address they sent to; and which of them have replies written but not yet flushed, so each is
 * flushed once per read batch of an upstream port.
 *
 * <p><b>Hot path.</b> <b>Thread safety:</b> not thread-safe; used only on its worker's event loop.
 */
final class ReplyListeners {
    private Channel[] listeners = new Channel[0];
    private boolean[] pending = new boolean[0];
    private int[] toFlush = new int[0];
    private int toFlushCount;

    /** @param listeners the worker's socket for each local address, by number (null where it has none) */
    void setAll(Channel[] listeners) {
        this.listeners = listeners.clone();
        this.pending = new boolean[listeners.length];
        this.toFlush = new int[listeners.length];
        this.toFlushCount = 0;
    }

    /** Adds the socket for a local address numbered later (a destination found behind a wildcard). */
    void set(int local, Channel channel) {
        if (local >= listeners.length) {
            int length = Math.max(local + 1, listeners.length * 2);
            listeners = Arrays.copyOf(listeners, length);
            pending = Arrays.copyOf(pending, length);
            toFlush = Arrays.copyOf(toFlush, length);
        }
        listeners[local] = channel;
    }

    /** @return whether there is a socket bound to the local address numbered {@code local} */
    boolean has(int local) {
        return local < listeners.length && listeners[local] != null;
    }

    /** @return a copy: the socket for each local address, by number (null where there is none) */
    Channel[] all() {
        return listeners.clone();
    }

    /** Writes a reply through the socket of local address {@code local}, to be flushed by {@link #flush}. */
    void write(int local, DatagramPacket reply) {
        final Channel listener = listeners[local];
        listener.write(reply, listener.voidPromise());
        if (!pending[local]) {
            pending[local] = true;
            toFlush[toFlushCount++] = local;
        }
    }

    /** Flushes every socket written to since the last flush. */
    void flush() {
        for (int i = 0; i < toFlushCount; i++) {
            int local = toFlush[i];
            pending[local] = false;
            listeners[local].flush();
        }
        toFlushCount = 0;
    }
}
