/** Starting the appliance: required arguments, listener checks, one-line failures, and the ready line. */
package io.quiclb.appliance.startup;
