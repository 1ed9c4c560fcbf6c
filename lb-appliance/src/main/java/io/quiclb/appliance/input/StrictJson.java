package io.quiclb.appliance.input;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quiclb.appliance.control.ApiException;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads API request bodies strictly and reports every problem at once, each as {@code field: rule: value} with the
 * API's own field names: a body over the size limit (413), malformed JSON or a duplicate field (400), a body that is
 * not an object, an unknown field (with the closest known one), a value of the wrong type, or a value that breaks a
 * constraint of the record (422). Keys are never echoed: values of fields named {@code key} are not quoted.
 *
 * <p><b>Thread safety:</b> immutable; the mapper is thread-safe once configured.
 */
public final class StrictJson {
    private final ObjectMapper json = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();
    private final Validator validator;
    private final int maxBytes;

    /**
     * @param validator checks the records' constraints
     * @param maxBytes  largest body accepted, in octets
     */
    public StrictJson(Validator validator, int maxBytes) {
        this.validator = validator;
        this.maxBytes = maxBytes;
    }

    /**
     * @param body the request body; read up to one octet past the limit
     * @return the body as a JSON object
     * @throws ApiException 413 when larger than the limit, 400 when not JSON, 422 when not an object
     */
    public ObjectNode readObject(InputStream body) throws IOException {
        byte[] bytes = body.readNBytes(maxBytes + 1);
        if (bytes.length > maxBytes) {
            throw tooLarge(maxBytes);
        }
        if (bytes.length == 0) {
            throw new ApiException(ApiException.BAD_REQUEST, List.of("body: must be a JSON object: the body is empty"));
        }
        JsonNode node;
        try {
            node = json.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new ApiException(ApiException.BAD_REQUEST, List.of("body: " + malformed(e)));
        }
        if (node == null || !node.isObject()) {
            throw new ApiException(ApiException.UNPROCESSABLE, List.of("body: must be a JSON object: "
                    + (node == null ? "nothing" : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT))));
        }
        return (ObjectNode) node;
    }

    /**
     * @param maxBytes the limit
     * @return the refusal of a body larger than it
     */
    public static ApiException tooLarge(int maxBytes) {
        return new ApiException(ApiException.TOO_LARGE, List.of("body: must be at most " + maxBytes
                + " octets (api.maxRequestBytes)"));
    }

    /**
     * Builds a request record from a JSON object, checking every field.
     *
     * @param node the body
     * @param type a record type
     * @param <T>  the type
     * @return the record
     * @throws ApiException 422 listing every problem
     */
    public <T extends Record> T convert(ObjectNode node, Class<T> type) {
        RecordComponent[] components = type.getRecordComponents();
        List<String> names = Arrays.stream(components).map(RecordComponent::getName).toList();
        List<String> problems = new ArrayList<>();
        Iterator<String> fields = node.fieldNames();
        while (fields.hasNext()) {
            String field = fields.next();
            if (!names.contains(field)) {
                String closest = FieldSuggestions.closest(field, names);
                problems.add(field + ": is not a field of this request" + (closest == null ? ""
                        : " (did you mean " + closest + "?)") + "; its fields are " + String.join(", ", names));
            }
        }
        Object[] values = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            JsonNode value = node.get(components[i].getName());
            if (value == null || value.isNull()) {
                continue;
            }
            JavaType javaType = json.getTypeFactory().constructType(components[i].getGenericType());
            String nullInside = nullInside(components[i].getName(), value);
            if (nullInside != null) {
                problems.add(nullInside);
                continue;
            }
            try {
                values[i] = json.treeToValue(value, javaType);
            } catch (JsonProcessingException | IllegalArgumentException e) {
                problems.add(components[i].getName() + ": must be " + describe(components[i].getGenericType())
                        + ": " + (components[i].getName().equals("key") ? "[REDACTED]" : abbreviate(value)));
            }
        }
        if (!problems.isEmpty()) {
            throw new ApiException(ApiException.UNPROCESSABLE, problems);
        }
        T record = construct(type, components, values);
        Set<ConstraintViolation<T>> violations = validator.validate(record);
        if (!violations.isEmpty()) {
            Set<String> messages = new LinkedHashSet<>();
            violations.stream().sorted(Comparator.comparing(v -> v.getPropertyPath().toString()))
                    .forEach(v -> messages.add(v.getPropertyPath() + ": " + v.getMessage()));
            throw new ApiException(ApiException.UNPROCESSABLE, List.copyOf(messages));
        }
        return record;
    }

    /**
     * @param value a request record
     * @return it as a JSON object (absent values omitted), the form a merge patch applies to
     */
    public ObjectNode toObject(Object value) {
        ObjectNode node = json.valueToTree(value);
        node.properties().removeIf(e -> e.getValue().isNull());
        return node;
    }

    /** @return the problem of a null member of an object or element of an array, or null when there is none */
    private static String nullInside(String field, JsonNode value) {
        if (value.isObject()) {
            for (var member : value.properties()) {
                if (member.getValue().isNull()) {
                    return field + "." + member.getKey() + ": must not be null (leave it out instead)";
                }
            }
        } else if (value.isArray()) {
            for (int i = 0; i < value.size(); i++) {
                if (value.get(i).isNull()) {
                    return field + "[" + i + "]: must not be null";
                }
            }
        }
        return null;
    }

    private static <T> T construct(Class<T> type, RecordComponent[] components, Object[] values) {
        Class<?>[] parameterTypes = Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new);
        try {
            Constructor<T> constructor = type.getDeclaredConstructor(parameterTypes);
            return constructor.newInstance(values);
        } catch (InvocationTargetException e) {
            throw new ApiException(ApiException.UNPROCESSABLE, List.of(String.valueOf(e.getCause().getMessage())));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type + " is not a record with a canonical constructor", e);
        }
    }

    private static String describe(Type type) {
        if (type instanceof ParameterizedType parameterized) {
            Type raw = parameterized.getRawType();
            Type[] arguments = parameterized.getActualTypeArguments();
            if (raw == List.class) {
                return "an array of " + plural(arguments[0]);
            }
            if (raw == Map.class) {
                return "an object whose names are " + plural(arguments[0]) + " and whose values are "
                        + plural(arguments[1]);
            }
        }
        if (type == Integer.class || type == int.class) {
            return "an integer";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        return "a string";
    }

    private static String plural(Type type) {
        return type == Integer.class ? "integers" : type == Boolean.class ? "true or false" : "strings";
    }

    private static String abbreviate(JsonNode value) {
        String text = value.toString();
        return text.length() <= 64 ? text : text.substring(0, 61) + "...";
    }

    /**
     * Jackson's message may quote the offending token, which can be a key written without quotes; only the place
     * and, for a repeated field, the field's name are said.
     */
    private static String malformed(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                + e.getLocation().getColumnNr();
        if (e instanceof JsonParseException && message.startsWith("Duplicate field '")) {
            int end = message.indexOf('\'', "Duplicate field '".length());
            return "must not repeat a field: " + message.substring("Duplicate field '".length(),
                    end < 0 ? message.length() : end) + where;
        }
        return "must be well-formed JSON" + where + " (values are not quoted back)";
    }
}
