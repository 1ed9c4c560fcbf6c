package io.quiclb.appliance.input;

import java.util.Collection;
import java.util.Locale;

/**
 * "Did you mean": the known field closest to an unknown one, by case-insensitive equality first and then by edit
 * distance (at most 2, or a third of the name's length when longer).
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class FieldSuggestions {
    private FieldSuggestions() {
    }

    /**
     * @param unknown the field that was sent
     * @param known   the fields there are
     * @return the closest known field, or null when none is close
     */
    public static String closest(String unknown, Collection<String> known) {
        String lower = unknown.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Math.max(2, unknown.length() / 3) + 1;
        for (String candidate : known) {
            if (candidate.toLowerCase(Locale.ROOT).equals(lower)) {
                return candidate;
            }
            int distance = distance(lower, candidate.toLowerCase(Locale.ROOT));
            if (distance < bestDistance) {
                bestDistance = distance;
                best = candidate;
            }
        }
        return best;
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
