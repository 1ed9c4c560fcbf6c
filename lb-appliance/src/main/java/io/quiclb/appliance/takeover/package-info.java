/** Hitless takeover: a new appliance receives the running one's listener sockets over a Unix socket and serves on. */
package io.quiclb.appliance.takeover;
