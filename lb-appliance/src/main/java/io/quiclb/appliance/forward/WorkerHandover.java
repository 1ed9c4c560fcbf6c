package io.quiclb.appliance.forward;

import io.quiclb.appliance.decision.DecisionTables;
import io.quiclb.appliance.route.Placement;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.ServerHandle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One worker's part in a takeover: the old appliance's worker stops reading its upstream sockets and describes its
 * flows and sockets ({@link #export}); the new appliance's worker of the same index adopts those sockets at the same
 * places and rebuilds the flows on them ({@link #adopt}), recording each flow's 4-tuple in the §4.2 4-tuple table
 * (draft-21 §4.2 step 4), so a connection whose CIDs the load balancer cannot route keeps its server. The free places
 * on the adopted sockets start cooling ({@link UpstreamPorts#coolAdopted}).
 *
 * <p><b>Thread safety:</b> every method runs on the worker's event loop.
 */
final class WorkerHandover {
    private WorkerHandover() {
    }

    /**
     * What one worker adopted.
     *
     * @param flows   flows rebuilt
     * @param sockets upstream sockets adopted
     * @param dropped flows not rebuilt, by reason
     */
    record Adopted(int flows, int sockets, Map<String, Integer> dropped) {
    }

    /**
     * Stops reading the worker's upstream sockets, sends what it gathered, and describes its flows and sockets. The
     * worker keeps both: a datagram a read already in flight delivers is still relayed, through the same sockets.
     */
    static NatFlows.WorkerFlows export(Worker worker, LocalAddresses locals) {
        worker.upstreamPorts().setReading(false);
        worker.onReadBatchEnd();
        long now = System.nanoTime();
        return new NatFlows.WorkerFlows(worker.upstreamPorts().sockets(), worker.flowTable().export(locals, now));
    }

    /**
     * Adopts the sockets and rebuilds the flows another appliance's worker of the same index handed over. A flow is
     * dropped (counted by reason) when its server or socket is not in the route table, its local address has no
     * number here, its socket was not adopted, or the flow limit is reached; a socket that cannot be adopted is
     * closed here (the old appliance still holds it until it exits).
     */
    static Adopted adopt(Worker worker, NatFlows.WorkerFlows handed, RouteTable table, LocalAddresses locals,
                         DecisionTables decisions) {
        Map<String, Integer> dropped = new HashMap<>();
        Map<Integer, UpstreamPort> ports = new HashMap<>();
        List<NatFlows.UpstreamSocket> sockets = new ArrayList<>(handed.sockets());
        sockets.sort(Comparator.comparingInt(NatFlows.UpstreamSocket::port));
        for (NatFlows.UpstreamSocket socket : sockets) {
            try {
                ports.put(socket.port(), worker.upstreamPorts().adopt(socket.port(), socket.fd()));
            } catch (Exception e) {
                dropped.merge("socket not adopted: " + e.getMessage(), 1, Integer::sum);
            }
        }
        long now = System.nanoTime();
        int flows = 0;
        for (NatFlows.FlowEntry entry : handed.flows()) {
            String why = null;
            ServerHandle server = table.server(entry.server());
            Placement placement = server == null ? null : server.placementFor(entry.target());
            int local = locals.indexOf(entry.local());
            UpstreamPort port = ports.get(entry.port());
            if (placement == null) {
                why = server == null ? "server not in the route table" : "server socket not in the route table";
            } else if (local < 0) {
                why = "local address not a listener here";
            } else if (port == null) {
                why = "upstream socket not adopted";
            } else {
                long lastClient = now - TimeUnit.MILLISECONDS.toNanos(entry.clientIdleMillis());
                long lastActivity = now - TimeUnit.MILLISECONDS.toNanos(entry.idleMillis());
                Flow flow = worker.flowTable().adopt(entry.client(), local, placement, port,
                        (byte) Math.max(Flow.UNCONFIRMED, Math.min(Flow.CONFIRMED, entry.state())), entry.budgeted(),
                        lastClient, lastActivity);
                if (flow == null) {
                    why = "flow limit reached, table full, or a duplicate";
                } else {
                    flow.tupleRecorded = now;
                    decisions.recordTuple(entry.client(), local, placement, now);
                    flows++;
                }
            }
            if (why != null) {
                dropped.merge(why, 1, Integer::sum);
            }
        }
        worker.upstreamPorts().coolAdopted(Forwarder.targets(table));
        return new Adopted(flows, ports.size(), dropped);
    }
}
