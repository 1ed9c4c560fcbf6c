/** Running under systemd: the sd_notify(3) protocol (readiness, reloads, stopping, the main PID, status). */
package io.quiclb.appliance.systemd;
