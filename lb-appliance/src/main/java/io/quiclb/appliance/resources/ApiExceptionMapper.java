package io.quiclb.appliance.resources;

import io.quiclb.appliance.control.ApiException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import java.util.Map;

/**
 * Turns a refused change into {@code {"code": status, "errors": [...]}} with its status (404, 409, 422, 503).
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class ApiExceptionMapper implements ExceptionMapper<ApiException> {
    @Override
    public Response toResponse(ApiException e) {
        return Response.status(e.status()).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Map.of("code", e.status(), "errors", e.errors())).build();
    }
}
