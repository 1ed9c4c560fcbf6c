package io.quiclb.appliance.forward;

/**
 * What a worker does when a UDP GSO send fails. When the kernel refused the batch rather than its datagrams
 * (EMSGSIZE or EINVAL: the path cannot take the segment size, e.g. a smaller MTU; EIO: the device cannot segment),
 * the datagrams are sent again one by one, and GSO is turned off where the cause lies: for the target (path) or for
 * the worker (device); each said once. Any other error drops the datagrams, counted, logged at most once per
 * interval.
 *
 * <p><b>Thread safety:</b> not thread-safe; used only on its worker's event loop, like everything it is given.
 */
final class GsoRefusals {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Worker.class);
    /** errno values with which the kernel refuses a UDP GSO send as a whole (the batch, not its datagrams). */
    private static final int EIO = 5;
    private static final int EINVAL = 22;
    private static final int EMSGSIZE = 90;
    /** The worker's {@link IntervalLog} slot for other GSO send failures. */
    static final int LOG_GSO_OTHER = 0;

    private final int worker;
    private final UpstreamPorts ports;
    private final FlowTable flows;
    private final WorkerCounters counters;
    private final IntervalLog pacing;

    /**
     * @param worker   the worker's index, for the log
     * @param ports    its upstream ports, which remember the targets whose path refused GSO
     * @param flows    its flows, whose GSO is turned off for such a target
     * @param counters its counters
     * @param pacing   its log pacing (slot {@value #LOG_GSO_OTHER})
     */
    GsoRefusals(int worker, UpstreamPorts ports, FlowTable flows, WorkerCounters counters, IntervalLog pacing) {
        this.worker = worker;
        this.ports = ports;
        this.flows = flows;
        this.counters = counters;
        this.pacing = pacing;
    }

    /**
     * @param promise the send's promise, holding the gathered buffer (released here, or sent again one by one)
     * @param cause   why it failed
     * @param gso     whether the worker still sends GSO batches
     * @param now     monotonic nanoseconds
     * @return whether the worker may go on sending GSO batches (false: the device cannot segment)
     */
    boolean onFailed(GsoSendPromise promise, Throwable cause, boolean gso, long now) {
        final int errno = promise.errno(cause);
        if (errno == EMSGSIZE || errno == EINVAL) {
            if (!ports.gsoRefused(promise.target())) {
                ports.refuseGso(promise.target());
                flows.forEach(flow -> {
                    if (flow.target.equals(promise.target())) {
                        flow.gso = false;
                    }
                });
                LOG.warn("forwarder worker {}: the kernel refused a UDP GSO send of {}-octet datagrams to {} ({}): the"
                        + " path cannot carry them as one batch; datagrams to {} go one by one from now on, none was"
                        + " lost (check the MTU on the way to the server, or set forwarder.gso: false)", worker,
                        promise.segmentSize(), promise.target(), cause.getMessage(), promise.target());
            }
        } else if (errno == EIO) {
            if (gso) {
                LOG.warn("forwarder worker {}: the kernel refused a UDP GSO send ({}): the device cannot segment;"
                        + " this worker sends datagrams one by one from now on, none was lost (set forwarder.gso:"
                        + " false to skip GSO)", worker, cause.getMessage());
            }
            counters.increment(ForwarderCounter.GSO_REFUSED);
            promise.resendOneByOne();
            return false;
        } else {
            counters.add(ForwarderCounter.DROPPED_SEND_FAILED, promise.segments());
            long times = pacing.due(LOG_GSO_OTHER, now);
            if (times > 0) {
                LOG.warn("forwarder worker {}: {} GSO send(s) failed; their datagrams were dropped (latest: {})",
                        worker, times, cause.getMessage());
            }
            promise.releaseBuffer();
            return gso;
        }
        counters.increment(ForwarderCounter.GSO_REFUSED);
        promise.resendOneByOne();
        return gso;
    }
}
