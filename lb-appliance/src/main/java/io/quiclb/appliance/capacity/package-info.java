/** What the machine allows the NAT data plane: descriptors, local ports and targets, measured at startup. */
package io.quiclb.appliance.capacity;
