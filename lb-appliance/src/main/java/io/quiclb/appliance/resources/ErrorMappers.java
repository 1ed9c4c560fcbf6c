package io.quiclb.appliance.resources;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.quiclb.appliance.control.ApiException;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Path;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API's one error shape, {@code {"code": status, "errors": ["field: rule: value", ...]}}, for every 4xx and 5xx:
 * refused changes, malformed JSON, unknown resources and methods, unsupported media types, constraint violations,
 * and bugs (500, logged with an ID the answer quotes). Dropwizard's default mappers are turned off so these are the
 * only ones.
 *
 * <p><b>Thread safety:</b> every mapper is stateless.
 */
public final class ErrorMappers {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorMappers.class);

    private ErrorMappers() {
    }

    /** @return every mapper, to register with Jersey */
    public static List<Object> all() {
        return List.of(new Refused(), new WebApplication(), new Json(), new Constraints(), new Bug());
    }

    /**
     * @param status the HTTP status
     * @param errors every problem
     * @return the answer
     */
    static Response answer(int status, List<String> errors) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Map.of("code", status, "errors", errors)).build();
    }

    /** A change the control plane or the request reader refused. */
    public static final class Refused implements ExceptionMapper<ApiException> {
        @Override
        public Response toResponse(ApiException e) {
            return answer(e.status(), e.errors());
        }
    }

    /** Jersey's own refusals: no such resource (404), method (405), media type (415), ... */
    public static final class WebApplication implements ExceptionMapper<WebApplicationException> {
        @Context
        private UriInfo uri;

        @Override
        public Response toResponse(WebApplicationException e) {
            int status = e.getResponse().getStatus();
            String message;
            if (e instanceof NotFoundException) {
                message = "path: no such resource: /" + (uri == null ? "" : uri.getPath());
            } else if (e instanceof NotAllowedException) {
                message = "method: not allowed here; allowed: " + String.join(", ",
                        new TreeSet<>(e.getResponse().getAllowedMethods()));
            } else if (e instanceof NotSupportedException) {
                message = "Content-Type: must be " + MediaType.APPLICATION_JSON
                        + " (or application/merge-patch+json for PATCH)";
            } else if (status >= 500) {
                return new Bug().toResponse(e);
            } else {
                message = "request: " + e.getMessage();
            }
            Response.ResponseBuilder answer = Response.fromResponse(answer(status, List.of(message)));
            if (e instanceof NotAllowedException) {
                answer.allow(e.getResponse().getAllowedMethods());
            }
            return answer.build();
        }
    }

    /** JSON that Jackson could not read (request bodies other than the API's records). */
    public static final class Json implements ExceptionMapper<JsonProcessingException> {
        @Override
        public Response toResponse(JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            return answer(ApiException.BAD_REQUEST, List.of("body: must be well-formed JSON" + where));
        }
    }

    /** Constraints on resource parameters (a missing body, ...). */
    public static final class Constraints implements ExceptionMapper<ConstraintViolationException> {
        @Override
        public Response toResponse(ConstraintViolationException e) {
            List<String> errors = new ArrayList<>();
            for (ConstraintViolation<?> violation : e.getConstraintViolations()) {
                errors.add(field(violation.getPropertyPath()) + ": " + violation.getMessage());
            }
            errors.sort(null);
            return answer(ApiException.UNPROCESSABLE, errors);
        }

        /** Jersey names a method's body parameter {@code method.argN}: that is the body. */
        private static String field(Path path) {
            String name = "body";
            for (Path.Node node : path) {
                if (node.getKind() == jakarta.validation.ElementKind.PROPERTY) {
                    name = node.getName();
                }
            }
            return name;
        }
    }

    /** Anything else is a bug: 500, logged with an ID the answer quotes; a client that left mid-body is a 400. */
    public static final class Bug implements ExceptionMapper<Throwable> {
        @Override
        public Response toResponse(Throwable e) {
            if (e instanceof java.io.IOException && e.getClass().getName().endsWith("EofException")) {
                return answer(ApiException.BAD_REQUEST, List.of("body: the connection closed before the whole body"
                        + " arrived"));
            }
            String id = Long.toHexString(ThreadLocalRandom.current().nextLong());
            LOG.error("API request failed (error {})", id, e);
            return answer(500, List.of("internal error " + id + ": logged by the appliance; nothing was changed"
                    + " unless the audit history shows it"));
        }
    }
}
