package io.quiclb.appliance.input;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * A JSON Merge Patch (RFC 7396), the body of {@code PATCH} requests: members of the patch replace those of the
 * target, a {@code null} member removes one, objects merge recursively, arrays and other values replace whole.
 *
 * <p><b>Thread safety:</b> immutable once read; {@link #applyTo} does not change the patch.
 *
 * @param patch the patch document, a JSON object
 */
public record MergePatch(ObjectNode patch) implements ApiRequest {
    /** Media type of RFC 7396 §4. */
    public static final String MEDIA_TYPE = "application/merge-patch+json";

    /**
     * RFC 7396 §2 MergePatch(Target, Patch).
     *
     * @param target the document to patch; not changed
     * @return the patched document
     */
    public JsonNode applyTo(ObjectNode target) {
        return merge(target.deepCopy(), patch);
    }

    private static JsonNode merge(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch.deepCopy();
        }
        ObjectNode result = target != null && target.isObject() ? (ObjectNode) target
                : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, JsonNode> member : patch.properties()) {
            if (member.getValue().isNull()) {
                result.remove(member.getKey());
            } else {
                result.set(member.getKey(), merge(result.get(member.getKey()), member.getValue()));
            }
        }
        return result;
    }
}
