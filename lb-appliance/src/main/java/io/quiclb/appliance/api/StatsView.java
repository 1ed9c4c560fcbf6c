package io.quiclb.appliance.api;

import java.util.List;
import java.util.Map;

/**
 * The forwarder's counters and gauges.
 *
 * @param counters         every counter summed over workers, by metric name (received, routed-*, dropped.*, ...)
 * @param perConfig        datagrams routed by CID, by config ID
 * @param perServer        datagrams forwarded, by server name
 * @param perWorker        every counter, by worker
 * @param flows            NAT flows open now
 * @param flowsUnconfirmed of those, unconfirmed
 * @param flowsConfirmed   of those, confirmed
 * @param handshakes       flows opened by unroutable DCIDs and not yet confirmed (the handshake budget in use)
 * @param upstreamSockets  upstream sockets open now
 * @param capacity         the limits in force: flows, handshakes, sockets
 * @param panic            whether first flights go to every non-draining server because too few answer health
 *                         probes ({@code health.panicThreshold})
 * @param revision         the revision of the routing state in force in its store ({@code store}): etcd's, so the
 *                         appliances of a fleet can be compared; with the state file, the writes since startup
 */
public record StatsView(Map<String, Long> counters, Map<Integer, Long> perConfig, Map<String, Long> perServer,
                        List<Map<String, Long>> perWorker, long flows, long flowsUnconfirmed, long flowsConfirmed,
                        long handshakes, long upstreamSockets, Map<String, Long> capacity, boolean panic,
                        long revision) {
}
