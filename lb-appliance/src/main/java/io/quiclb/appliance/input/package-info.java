/** Strict reading of REST API request bodies: size limit, unknown fields, types, validation, JSON Merge Patch. */
package io.quiclb.appliance.input;
