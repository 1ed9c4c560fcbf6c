package io.quiclb.appliance.input;

import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.MessageBodyReader;
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;

/**
 * Reads every {@link ApiRequest} body through {@link StrictJson}: records field by field, {@link MergePatch}es as
 * JSON objects. Accepts {@code application/json} and {@code application/merge-patch+json}.
 *
 * <p><b>Thread safety:</b> immutable; Jersey calls it from many threads.
 */
@Consumes({MediaType.APPLICATION_JSON, MergePatch.MEDIA_TYPE})
public final class StrictJsonReader implements MessageBodyReader<ApiRequest> {
    private final StrictJson json;
    private final int maxBytes;

    /**
     * @param json     the strict reader
     * @param maxBytes largest body accepted, in octets (also checked against Content-Length before reading)
     */
    public StrictJsonReader(StrictJson json, int maxBytes) {
        this.json = json;
        this.maxBytes = maxBytes;
    }

    @Override
    public boolean isReadable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
        return ApiRequest.class.isAssignableFrom(type) && (type.isRecord());
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public ApiRequest readFrom(Class<ApiRequest> type, Type genericType, Annotation[] annotations,
                               MediaType mediaType, MultivaluedMap<String, String> headers, InputStream body)
            throws IOException, WebApplicationException {
        String length = headers.getFirst(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > maxBytes) {
                    throw StrictJson.tooLarge(maxBytes);
                }
            } catch (NumberFormatException e) {
                // Jetty has already refused a malformed Content-Length; the bounded read below still applies
            }
        }
        ObjectNode node = json.readObject(body);
        if ((Class<?>) type == MergePatch.class) {
            return new MergePatch(node);
        }
        return (ApiRequest) json.convert(node, (Class) type);
    }
}
