package io.quiclb.appliance.api;

import java.util.List;
import java.util.Map;

/**
 * The forwarder's counters.
 *
 * @param counters  every counter summed over workers, by metric name (received, routed-*, dropped.*, ...)
 * @param perConfig datagrams routed by CID, by config ID
 * @param perServer datagrams forwarded, by server name
 * @param perWorker every counter, by worker
 * @param flows     NAT flows open now
 */
public record StatsView(Map<String, Long> counters, Map<Integer, Long> perConfig, Map<String, Long> perServer,
                        List<Map<String, Long>> perWorker, long flows) {
}
