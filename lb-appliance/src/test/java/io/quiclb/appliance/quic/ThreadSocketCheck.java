package io.quiclb.appliance.quic;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.quiclb.codec.CidDecoder;
import io.quiclb.codec.QuicLbConfig;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sits in front of one thread socket's QUIC codec and decodes the DCID of every short-header datagram that arrives:
 * it counts those whose thread ID names this socket's thread and those that name another, then passes the datagram
 * on unchanged. Datagrams whose DCID does not decode under the configuration (long headers, other configurations)
 * are not counted.
 *
 * <p><b>Thread safety:</b> reads happen on the socket's event loop only (the decoder is confined to it); the counts
 * may be read from any thread.
 */
final class ThreadSocketCheck extends ChannelInboundHandlerAdapter {
    private final QuicLbConfig config;
    private final int thread;
    private final CidDecoder decoder;
    private final byte[] cid = new byte[20];
    private final byte[] serverId = new byte[QuicLbConfig.MAX_SERVER_ID_LENGTH];
    private final AtomicLong onOwnSocket = new AtomicLong();
    private final AtomicLong onOtherSocket = new AtomicLong();

    ThreadSocketCheck(QuicLbConfig config, int thread) {
        this.config = config;
        this.thread = thread;
        this.decoder = new CidDecoder(config);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket packet) {
            var content = packet.content();
            int length = config.cidLength();
            if (content.readableBytes() > length && (content.getByte(content.readerIndex()) & 0x80) == 0) {
                content.getBytes(content.readerIndex() + 1, cid, 0, length);
                if (decoder.decode(cid, 0, length, serverId, 0) > 0) {
                    (decoder.threadId() == thread ? onOwnSocket : onOtherSocket).incrementAndGet();
                }
            }
        }
        ctx.fireChannelRead(msg);
    }

    long onOwnSocket() {
        return onOwnSocket.get();
    }

    long onOtherSocket() {
        return onOtherSocket.get();
    }
}
