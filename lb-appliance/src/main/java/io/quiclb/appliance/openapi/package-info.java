/** The OpenAPI 3 description of the REST API, generated from its JAX-RS resources and served at /api/v1/openapi.json. */
package io.quiclb.appliance.openapi;
