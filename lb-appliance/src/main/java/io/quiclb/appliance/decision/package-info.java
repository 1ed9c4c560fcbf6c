/** The draft-21 §4.2 tables of routing decisions for unroutable connection IDs, shared by every worker. */
package io.quiclb.appliance.decision;
