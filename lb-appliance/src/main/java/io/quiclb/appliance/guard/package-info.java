/** Flood guard: the bound on first flights in progress (handshakes), in all and per source prefix. */
package io.quiclb.appliance.guard;
