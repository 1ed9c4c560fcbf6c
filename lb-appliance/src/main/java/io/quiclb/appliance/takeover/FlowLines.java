package io.quiclb.appliance.takeover;

import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.forward.NatFlows;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The NAT flows of a takeover as lines of the handover conversation ({@link HandoverProtocol}): one {@code U} line per
 * upstream socket, in the order its descriptor follows, and one {@code F} line per flow, the server's name last (it
 * is the only field that may hold a space).
 *
 * <p><b>Thread safety:</b> stateless.
 */
final class FlowLines {
    private FlowLines() {
    }

    /** @return the {@code U} lines of every worker's upstream sockets, in descriptor order */
    static List<String> sockets(NatFlows flows) {
        List<String> lines = new ArrayList<>();
        for (int w = 0; w < flows.workers().size(); w++) {
            for (NatFlows.UpstreamSocket socket : flows.workers().get(w).sockets()) {
                lines.add(HandoverProtocol.UPSTREAM + w + " " + socket.port() + " "
                        + HandoverServer.text(socket.address()));
            }
        }
        return lines;
    }

    /** @return the descriptors of every worker's upstream sockets, in the order of {@link #sockets} */
    static List<Integer> descriptors(NatFlows flows) {
        List<Integer> fds = new ArrayList<>();
        flows.workers().forEach(worker -> worker.sockets().forEach(socket -> fds.add(socket.fd())));
        return fds;
    }

    /** @return the {@code F} line of a flow of worker {@code worker} */
    static String flow(int worker, NatFlows.FlowEntry flow) {
        return HandoverProtocol.FLOW + worker + " " + flow.port() + " " + flow.state() + " "
                + (flow.budgeted() ? 1 : 0) + " " + flow.clientIdleMillis() + " " + flow.idleMillis() + " "
                + HandoverServer.text(flow.client()) + " " + HandoverServer.text(flow.local()) + " "
                + HandoverServer.text(flow.target()) + " " + flow.server();
    }

    /**
     * Reads what the old appliance sent.
     *
     * @param workers     this appliance's worker count: every worker number must be below it
     * @param socketLines the {@code U} lines
     * @param fds         the descriptors received, in the order of {@code socketLines}
     * @param flowLines   the {@code F} lines
     * @return the flows, one entry per worker
     * @throws IllegalArgumentException naming the first line that is malformed
     */
    static NatFlows parse(int workers, List<String> socketLines, List<Integer> fds, List<String> flowLines) {
        List<List<NatFlows.UpstreamSocket>> sockets = new ArrayList<>();
        List<List<NatFlows.FlowEntry>> flows = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            sockets.add(new ArrayList<>());
            flows.add(new ArrayList<>());
        }
        for (int i = 0; i < socketLines.size(); i++) {
            String[] f = fields(socketLines.get(i), HandoverProtocol.UPSTREAM, 3);
            sockets.get(worker(f[0], workers, socketLines.get(i))).add(new NatFlows.UpstreamSocket(
                    Integer.parseInt(f[1]), address(f[2]), fds.get(i)));
        }
        for (String line : flowLines) {
            String[] f = fields(line, HandoverProtocol.FLOW, 10);
            flows.get(worker(f[0], workers, line)).add(new NatFlows.FlowEntry(address(f[6]), address(f[7]), f[9],
                    address(f[8]), Integer.parseInt(f[1]), Integer.parseInt(f[2]), "1".equals(f[3]),
                    Long.parseLong(f[4]), Long.parseLong(f[5])));
        }
        List<NatFlows.WorkerFlows> result = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            result.add(new NatFlows.WorkerFlows(sockets.get(w), flows.get(w)));
        }
        return new NatFlows(result);
    }

    private static String[] fields(String line, String prefix, int count) {
        if (!line.startsWith(prefix)) {
            throw new IllegalArgumentException("not a " + prefix.trim() + " line: " + shortened(line));
        }
        String[] fields = line.substring(prefix.length()).split(" ", count);
        if (fields.length != count) {
            throw new IllegalArgumentException(count + " fields expected: " + shortened(line));
        }
        return fields;
    }

    private static int worker(String field, int workers, String line) {
        int worker = Integer.parseInt(field);
        if (worker < 0 || worker >= workers) {
            throw new IllegalArgumentException("worker " + worker + " of " + workers + ": " + shortened(line));
        }
        return worker;
    }

    private static InetSocketAddress address(String text) {
        return HostPort.parse(text).resolve();
    }

    private static String shortened(String line) {
        return line.length() > 120 ? line.substring(0, 120) + "…" : line;
    }
}
