/** The audit trail: every accepted change to routing, as one structured log line and in a bounded history. */
package io.quiclb.appliance.audit;
