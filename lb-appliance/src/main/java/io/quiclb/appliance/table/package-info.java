/** Allocation-free hash tables keyed by addresses and connection IDs: one worker's, or striped and shared. */
package io.quiclb.appliance.table;
