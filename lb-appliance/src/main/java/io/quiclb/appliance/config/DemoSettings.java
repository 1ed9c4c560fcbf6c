package io.quiclb.appliance.config;

/**
 * The {@code demo} section: HTTP/3 demo backends started inside the appliance's process, one per configured server,
 * listening on the server's address and thread sockets and issuing QUIC-LB CIDs for it. For trying the appliance
 * out from config.yml alone; a production configuration leaves it out.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param backends whether to start the demo backends (default false)
 */
public record DemoSettings(Boolean backends) {

    /** Fills in defaults. */
    public DemoSettings {
        backends = backends == null ? Boolean.FALSE : backends;
    }

    /** @return every default: no demo backends */
    public static DemoSettings defaults() {
        return new DemoSettings(null);
    }
}
