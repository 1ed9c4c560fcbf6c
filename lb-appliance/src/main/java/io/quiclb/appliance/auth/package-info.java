/** Who may do what: bearer tokens for the REST API and the admin pages. */
package io.quiclb.appliance.auth;
