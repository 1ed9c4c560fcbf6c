package io.quiclb.appliance.config;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unicast addresses of this host's interfaces: where a wildcard listener ({@code 0.0.0.0:443}, {@code [::]:443})
 * can be reached, each needing a socket of its own so replies leave from the address the client sent to.
 *
 * <p><b>Thread safety:</b> stateless; callable from any thread.
 */
public final class HostInterfaces {
    private static final Logger LOG = LoggerFactory.getLogger(HostInterfaces.class);

    private HostInterfaces() {
    }

    /**
     * @param ipv6 the family
     * @return the unicast addresses of the interfaces that are up, link-local ones excepted (IPv6 without a scope);
     *         empty, said in the log, when the interfaces cannot be listed
     */
    public static List<InetAddress> addresses(boolean ipv6) {
        List<InetAddress> addresses = new ArrayList<>();
        try {
            for (NetworkInterface network : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!network.isUp()) {
                    continue;
                }
                for (InetAddress address : Collections.list(network.getInetAddresses())) {
                    if ((address instanceof Inet6Address) == ipv6 && !address.isLinkLocalAddress()
                            && !address.isMulticastAddress() && !address.isAnyLocalAddress()) {
                        addresses.add(ipv6 ? withoutScope(address) : address);
                    }
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot list the host's interface addresses ({})", String.valueOf(e));
        }
        return addresses;
    }

    private static InetAddress withoutScope(InetAddress address) throws UnknownHostException {
        return InetAddress.getByAddress(address.getAddress());
    }
}
