/** The server's side of the configuration agent: fetch the encoder parameters the load balancers publish. */
package io.quiclb.codec.agent;
