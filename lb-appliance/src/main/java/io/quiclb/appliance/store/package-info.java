/** The fleet store: the routing state in etcd, written by compare-and-swap and followed by every appliance. */
package io.quiclb.appliance.store;
