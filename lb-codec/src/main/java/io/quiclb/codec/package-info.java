/**
 * QUIC-LB connection-ID codec: draft-ietf-quic-load-balancers-21.
 *
 * <p>Servers issue CIDs with {@link io.quiclb.codec.CidEncoder}; load balancers recover the server ID (and our
 * thread ID extension) with {@link io.quiclb.codec.CidDecoder}. Both are configured with immutable
 * {@link io.quiclb.codec.QuicLbConfig}s, which validate every parameter. The codec uses only the JDK at run time.
 *
 * <p><b>Threading:</b> configurations and server IDs are immutable and shared; encoders and decoders hold AES state
 * and scratch buffers and belong to one thread each.
 */
package io.quiclb.codec;
