package io.quiclb.appliance.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A UDP address as written in config.yml and the API: {@code host:port}, with IPv6 literals in brackets
 * ({@code [::1]:4433}). Parsing validates the syntax and the port; {@link #resolve()} turns the host into an address
 * once, at configuration time, never per datagram.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param host a host name or IP literal, without brackets
 * @param port 0..65535
 */
public record HostPort(String host, int port) {

    /** Validates the parts. */
    public HostPort {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("must have a host: host:port or [ipv6]:port");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("must be 0..65535: port=" + port);
        }
    }

    /**
     * @param text {@code host:port} or {@code [ipv6]:port}
     * @return the address
     * @throws IllegalArgumentException naming the rule and the text
     */
    @JsonCreator
    public static HostPort parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("must be host:port: null");
        }
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf("]:");
            if (close < 0) {
                throw new IllegalArgumentException("must be [ipv6]:port: " + text);
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0 || text.indexOf(':') != colon) {
                throw new IllegalArgumentException("must be host:port (IPv6 in brackets): " + text);
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        try {
            return new HostPort(host, Integer.parseInt(port));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be host:port with a numeric port: " + text);
        }
    }

    /**
     * @return the socket address, the host resolved now
     * @throws IllegalArgumentException when the host does not resolve
     */
    public InetSocketAddress resolve() {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("must resolve: host " + host + " is unknown");
        }
    }

    /** @return {@code host:port}, IPv6 in brackets */
    @JsonValue
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
