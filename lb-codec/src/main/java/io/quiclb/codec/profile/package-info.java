/** Ready-made codec settings for load balancers with fixed requirements, such as AWS Network Load Balancer. */
package io.quiclb.codec.profile;
