package io.quiclb.appliance.takeover;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The handover conversation over the Unix stream socket {@code forwarder.handoverSocket}, one line of text per
 * message and the listener sockets as SCM_RIGHTS descriptors:
 * <pre>
 * new → old   TAKEOVER 1 {pid}
 * old → new   SOCKETS {json}          the listeners as bound, then every socket's address, in descriptor order
 *             (or REFUSED {reason})   the old one froze its control plane and released the state file
 * new → old   SEND                    the new one now reads descriptors
 * old → new   N descriptors           one per socket (SCM_RIGHTS), in the order of SOCKETS
 * new → old   SERVING                 the new one serves: the old one stops reading and drains
 * </pre>
 * If the connection closes before SERVING, the old one carries on as before (thaws its control plane, takes the
 * state file back); once SERVING is sent, the new one holds every socket even if the old one dies.
 *
 * <p><b>Thread safety:</b> constants and a factory; stateless.
 */
final class HandoverProtocol {
    static final String TAKEOVER = "TAKEOVER 1";
    static final String SOCKETS = "SOCKETS ";
    static final String REFUSED = "REFUSED ";
    static final String SEND = "SEND";
    static final String SERVING = "SERVING";
    /** The longest line: a JSON list of a few hundred addresses fits many times over. */
    static final int MAX_LINE = 1 << 20;

    private HandoverProtocol() {
    }

    /** @return a one-thread epoll event loop group for the handover socket (whatever the forwarder's transport) */
    static MultiThreadIoEventLoopGroup eventLoop(String name) {
        return new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name, true), EpollIoHandler.newFactory());
    }
}
