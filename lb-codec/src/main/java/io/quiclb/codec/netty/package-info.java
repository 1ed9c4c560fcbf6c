/**
 * Adapters that make Netty 4.2 QUIC servers issue and dispatch QUIC-LB connection IDs. They need
 * {@code io.netty:netty-codec-classes-quic} (and its native library) on the class path; the rest of the codec does
 * not.
 */
package io.quiclb.codec.netty;
