package io.quiclb.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The test parser itself: it must refuse what Prometheus refuses, or the endpoint tests prove nothing. */
class ExpositionTest {
    private static final String VALID = """
            # HELP a_total A "counter"\\nwith two lines.
            # TYPE a_total counter
            a_total{reason="too-short",worker="0"} 3.0
            a_total{reason="x\\"y",worker="1"} 4
            # TYPE b gauge
            b 2.5
            # TYPE c_seconds summary
            c_seconds{quantile="0.5"} 0.1
            c_seconds_count 3
            """;

    @Test
    void shouldParseAValidExposition() {
        Map<String, Exposition.Family> families = Exposition.parse(VALID);
        assertEquals(java.util.List.of("a_total", "b", "c_seconds"), java.util.List.copyOf(families.keySet()));
        assertEquals("A \"counter\"\nwith two lines.", families.get("a_total").help());
        assertEquals(7.0, families.get("a_total").sum("a_total", Map.of()));
        assertEquals(4.0, families.get("a_total").sum("a_total", Map.of("reason", "x\"y")));
        assertEquals("summary", families.get("c_seconds").type());
    }

    @Test
    void shouldRefuseWhatPrometheusRefuses() {
        String[] invalid = {
            "# TYPE a counter\na 1\n# TYPE a counter\na{x=\"1\"} 2\n",   // typed twice
            "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x=\"1\"} 2\n",   // samples of a apart
            "a 1\n",                                                       // no TYPE
            "# TYPE a gauge\na 1\na 2\n",                                  // series repeated
            "# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n",                      // label repeated
            "# TYPE a gauge\na{x=1} 1\n",                                  // unquoted label value
            "# TYPE a gauge\na one\n",                                     // not a number
            "# TYPE a-b gauge\na-b 1\n",                                   // bad metric name
            "# TYPE a gauge\na_total 1\n",                                 // a gauge's sample named otherwise
            "# TYPE a gauge\na 1",                                         // no final line feed
            "# TYPE a gauge\n\na 1\n",                                     // empty line
            "# TYPE a meter\na 1\n",                                       // no such type
        };
        for (String text : invalid) {
            assertThrows(IllegalArgumentException.class, () -> Exposition.parse(text), text);
        }
    }
}
