package io.quiclb.codec.agent;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the one JSON shape the encoder endpoint answers with: an array of flat objects whose values are strings,
 * integers, booleans or null (no nesting, no fractions). The codec jar has no dependencies, so it reads JSON itself;
 * anything outside that shape is refused with the offset where it starts.
 *
 * <p><b>Thread safety:</b> stateless.
 */
final class FlatJson {
    private final String text;
    private int at;

    private FlatJson(String text) {
        this.text = text;
    }

    /**
     * @param text the JSON
     * @return the objects, in order; each maps its member names to String, Long, Boolean or null
     * @throws IllegalArgumentException naming the offset where the text leaves the shape
     */
    static List<Map<String, Object>> arrayOfObjects(String text) {
        FlatJson json = new FlatJson(text);
        List<Map<String, Object>> objects = new ArrayList<>();
        json.expect('[');
        if (!json.peek(']')) {
            do {
                objects.add(json.object());
            } while (json.next(','));
        }
        json.expect(']');
        json.space();
        if (json.at != text.length()) {
            throw json.error("the end of the answer after the array");
        }
        return objects;
    }

    private Map<String, Object> object() {
        Map<String, Object> members = new LinkedHashMap<>();
        expect('{');
        if (!peek('}')) {
            do {
                String name = string();
                expect(':');
                members.put(name, value());
            } while (next(','));
        }
        expect('}');
        return members;
    }

    private Object value() {
        space();
        if (at >= text.length()) {
            throw error("a value");
        }
        char c = text.charAt(at);
        if (c == '"') {
            return string();
        }
        for (String word : new String[] {"true", "false", "null"}) {
            if (text.startsWith(word, at)) {
                at += word.length();
                return word.equals("null") ? null : Boolean.valueOf(word);
            }
        }
        int start = at;
        if (c == '-') {
            at++;
        }
        while (at < text.length() && Character.isDigit(text.charAt(at))) {
            at++;
        }
        if (at == start || at - start > 18) {
            throw error("a string, an integer, true, false or null");
        }
        return Long.parseLong(text.substring(start, at));
    }

    private String string() {
        expect('"');
        StringBuilder value = new StringBuilder();
        while (at < text.length() && text.charAt(at) != '"') {
            char c = text.charAt(at++);
            if (c == '\\') {
                if (at >= text.length()) {
                    throw error("an escape");
                }
                char escaped = text.charAt(at++);
                switch (escaped) {
                    case '"', '\\', '/' -> value.append(escaped);
                    case 'n' -> value.append('\n');
                    case 't' -> value.append('\t');
                    case 'u' -> {
                        if (at + 4 > text.length()) {
                            throw error("four hex digits");
                        }
                        value.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> throw error("an escape");
                }
            } else {
                value.append(c);
            }
        }
        expect('"');
        return value.toString();
    }

    private void expect(char c) {
        space();
        if (at >= text.length() || text.charAt(at) != c) {
            throw error("'" + c + "'");
        }
        at++;
    }

    private boolean next(char c) {
        space();
        if (at < text.length() && text.charAt(at) == c) {
            at++;
            return true;
        }
        return false;
    }

    private boolean peek(char c) {
        space();
        return at < text.length() && text.charAt(at) == c;
    }

    private void space() {
        while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
            at++;
        }
    }

    private IllegalArgumentException error(String wanted) {
        return new IllegalArgumentException("encoder answer: expected " + wanted + " at offset " + at);
    }
}
