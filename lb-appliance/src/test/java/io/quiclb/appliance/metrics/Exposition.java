package io.quiclb.appliance.metrics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: it throws {@link
 * IllegalArgumentException} naming the line for anything the format does not allow, and for what Prometheus refuses
 * at ingestion: a family typed twice, a family's samples not together, a sample before its family's TYPE, a sample
 * name its type does not have, a repeated label name, a repeated series.
 */
final class Exposition {
    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") ((?:[^\\\\\\n]|\\\\[\\\\n])*)");
    private static final Pattern TYPE =
            Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{(.*)})? (\\S+)( -?[0-9]+)?");
    private static final Pattern LABEL =
            Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"(,|$)");
    private static final Pattern VALUE =
            Pattern.compile("[+-]?(Inf|NaN|[0-9]+(\\.[0-9]*)?([eE][+-]?[0-9]+)?|\\.[0-9]+([eE][+-]?[0-9]+)?)");

    /**
     * One sample.
     *
     * @param name   its metric name
     * @param labels its labels, by name
     * @param value  its value
     */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    /**
     * A family: its TYPE line's name and type, its HELP text (null if none), its samples in order.
     *
     * @param name    the name on the TYPE line
     * @param type    counter, gauge, histogram, summary or untyped
     * @param help    the HELP text, unescaped, or null
     * @param samples its samples
     */
    record Family(String name, String type, String help, List<Sample> samples) {
        /** @return the sum of the values of the samples named {@code name} whose labels include {@code labels} */
        double sum(String sampleName, Map<String, String> labels) {
            return samples.stream().filter(s -> s.name().equals(sampleName)
                            && s.labels().entrySet().containsAll(labels.entrySet()))
                    .mapToDouble(Sample::value).sum();
        }
    }

    private Exposition() {
    }

    /**
     * @param text a whole exposition
     * @return its families by name, in order
     * @throws IllegalArgumentException naming the first line that breaks the format
     */
    static Map<String, Family> parse(String text) {
        if (!text.endsWith("\n")) {
            throw new IllegalArgumentException("the exposition must end with a line feed");
        }
        Map<String, Family> families = new LinkedHashMap<>();
        Map<String, String> helps = new LinkedHashMap<>();
        Set<String> series = new HashSet<>();
        Family current = null;
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String where = "line " + (i + 1) + ": " + line;
            Matcher m;
            if ((m = HELP.matcher(line)).matches()) {
                if (helps.put(m.group(1), unescape(m.group(2))) != null) {
                    throw new IllegalArgumentException("second HELP, " + where);
                }
            } else if ((m = TYPE.matcher(line)).matches()) {
                if (families.containsKey(m.group(1))) {
                    throw new IllegalArgumentException("family typed twice, " + where);
                }
                current = new Family(m.group(1), m.group(2), helps.get(m.group(1)), new ArrayList<>());
                families.put(current.name(), current);
            } else if ((m = SAMPLE.matcher(line)).matches()) {
                if (current == null || !allowed(current, m.group(1))) {
                    throw new IllegalArgumentException("sample outside its family's TYPE block, " + where);
                }
                if (!VALUE.matcher(m.group(4)).matches()) {
                    throw new IllegalArgumentException("bad value, " + where);
                }
                Map<String, String> labels = labels(m.group(3) == null ? "" : m.group(3), where);
                if (!series.add(m.group(1) + new TreeMap<>(labels))) {
                    throw new IllegalArgumentException("series repeated, " + where);
                }
                current.samples().add(new Sample(m.group(1), labels, Double.parseDouble(
                        m.group(4).replace("Inf", "Infinity"))));
            } else {
                throw new IllegalArgumentException("not a HELP, TYPE or sample line, " + where);
            }
        }
        return families;
    }

    private static boolean allowed(Family family, String sample) {
        String name = family.name();
        return switch (family.type()) {
            case "summary" -> sample.equals(name) || sample.equals(name + "_sum") || sample.equals(name + "_count");
            case "histogram" -> sample.equals(name + "_bucket") || sample.equals(name + "_sum")
                    || sample.equals(name + "_count");
            default -> sample.equals(name);
        };
    }

    private static Map<String, String> labels(String text, String where) {
        Map<String, String> labels = new LinkedHashMap<>();
        Matcher m = LABEL.matcher(text);
        int at = 0;
        while (at < text.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("bad labels, " + where);
            }
            if (m.group(1).startsWith("__") || labels.put(m.group(1), unescape(m.group(2))) != null) {
                throw new IllegalArgumentException("label name reserved or repeated, " + where);
            }
            at = m.end();
        }
        return labels;
    }

    private static String unescape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                char next = text.charAt(++i);
                out.append(next == 'n' ? '\n' : next);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
