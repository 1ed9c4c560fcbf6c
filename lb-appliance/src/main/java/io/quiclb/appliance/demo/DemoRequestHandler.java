package io.quiclb.appliance.demo;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http3.DefaultHttp3DataFrame;
import io.netty.handler.codec.http3.DefaultHttp3HeadersFrame;
import io.netty.handler.codec.http3.Http3DataFrame;
import io.netty.handler.codec.http3.Http3HeadersFrame;
import io.netty.handler.codec.http3.Http3RequestStreamInboundHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionAddress;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.quiclb.codec.Hex;
import io.quiclb.codec.netty.ConnectionAddresses;
import java.nio.charset.StandardCharsets;

/**
 * Answers one HTTP/3 request of a demo backend with one line of plain text naming who answered:
 * {@code server=<name> thread=<thread ID> cid=<the server CID the request arrived on> client=<client address as the
 * server sees it> path=<request path>}. The CID is the connection's source CID on its active path (quiche's
 * {@code source_id}), which is the DCID the client is sending to.
 *
 * <p><b>Thread safety:</b> one instance per request stream, on its event loop.
 */
final class DemoRequestHandler extends Http3RequestStreamInboundHandler {
    private final String server;
    private final int thread;
    private CharSequence path = "/";

    DemoRequestHandler(String server, int thread) {
        this.server = server;
        this.thread = thread;
    }

    @Override
    protected void channelRead(ChannelHandlerContext ctx, Http3HeadersFrame frame) {
        if (frame.headers().path() != null) {
            path = frame.headers().path().toString();
        }
        ReferenceCountUtil.release(frame);
    }

    @Override
    protected void channelRead(ChannelHandlerContext ctx, Http3DataFrame frame) {
        ReferenceCountUtil.release(frame);
    }

    @Override
    protected void channelInputClosed(ChannelHandlerContext ctx) {
        QuicChannel connection = (QuicChannel) ctx.channel().parent();
        byte[] body = ("server=" + server + " thread=" + thread + " cid=" + cidHex(connection)
                + " client=" + connection.remoteSocketAddress() + " path=" + path + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        Http3HeadersFrame headers = new DefaultHttp3HeadersFrame();
        headers.headers().status("200").add("content-type", "text/plain; charset=us-ascii")
                .addInt("content-length", body.length);
        ctx.write(headers);
        ctx.writeAndFlush(new DefaultHttp3DataFrame(Unpooled.wrappedBuffer(body)))
                .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
    }

    /** @return the CID the request arrived on, in hex, or Netty's text for the address when that holds none */
    private static String cidHex(QuicChannel connection) {
        QuicConnectionAddress address = connection.localAddress();
        byte[] cid = address == null ? null : ConnectionAddresses.cid(address);
        return cid == null ? String.valueOf(address) : Hex.encode(cid);
    }
}
