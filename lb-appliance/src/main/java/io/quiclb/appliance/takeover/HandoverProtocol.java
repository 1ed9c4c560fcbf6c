package io.quiclb.appliance.takeover;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The handover conversation over the Unix stream socket {@code forwarder.handoverSocket}, one line of text per
 * message and sockets as SCM_RIGHTS descriptors:
 * <pre>
 * new → old   TAKEOVER 2 {pid}         refused unless the new process runs as the old one's user or root, and
 *                                     speaks this version (2: listeners, then flows)
 * old → new   SOCKETS {json}          its pid, workers, listeners as bound, every listener socket's address and
 *             (or REFUSED {reason})   the worker reading it, in descriptor order; the old one froze its control
 *                                     plane and released the state file
 * new → old   SEND                    the new one now reads descriptors
 * old → new   N descriptors           one per listener socket (SCM_RIGHTS), in the order of SOCKETS
 *                                     (the new one starts; it does not read the inherited listeners yet)
 * new → old   HANDOVER {workers}      the new one is ready: the old one stops reading its listeners and, with as
 *                                     many workers, its upstream sockets
 * old → new   FLOWS {json}            {"sockets":S,"flows":F}, with "kept" (why) when it keeps its flows
 *             U {worker} {port} {address}                                             S times, descriptor order
 *             F {worker} {port} {state} {budgeted} {clientIdleMs} {idleMs} {client} {local} {target} {server}
 *                                                                                     F times
 *             END
 * new → old   SEND                    (only when S &gt; 0)
 * old → new   S descriptors           the upstream sockets
 * new → old   SERVING                 the new one adopted the flows and reads the listeners: the old one drains
 * </pre>
 * If the connection closes before SERVING, the old one carries on as before (reads again, thaws its control plane,
 * takes the state file back); once SERVING is sent, the new one holds every socket even if the old one dies.
 *
 * <p><b>Thread safety:</b> constants and a factory; stateless.
 */
final class HandoverProtocol {
    static final String TAKEOVER = "TAKEOVER ";
    /** The conversation's version: 2 hands the NAT flows over after the listeners. */
    static final int VERSION = 2;
    /** How long the old appliance waits, once it stopped reading for HANDOVER, for SERVING before it reads again. */
    static final long SERVING_TIMEOUT_SECONDS = 30;
    static final String SOCKETS = "SOCKETS ";
    static final String REFUSED = "REFUSED ";
    static final String SEND = "SEND";
    static final String SERVING = "SERVING";
    static final String HANDOVER = "HANDOVER ";
    static final String FLOWS = "FLOWS ";
    static final String UPSTREAM = "U ";
    static final String FLOW = "F ";
    static final String END = "END";
    /** The longest line: a JSON list of a few hundred addresses fits many times over. */
    static final int MAX_LINE = 1 << 20;

    private HandoverProtocol() {
    }

    /** @return a one-thread epoll event loop group for the handover socket (whatever the forwarder's transport) */
    static MultiThreadIoEventLoopGroup eventLoop(String name) {
        return new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name, true), EpollIoHandler.newFactory());
    }
}
