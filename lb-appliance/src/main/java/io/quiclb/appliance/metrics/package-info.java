/**
 * {@code /admin/prometheus}: collectors that read the forwarder's counters, the servers and the rest of Dropwizard's
 * registry when scraped, and the Prometheus Java client's servlet that serves them. The families are listed in
 * docs/operations.md.
 */
package io.quiclb.appliance.metrics;
