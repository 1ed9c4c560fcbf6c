package io.quiclb.appliance.metrics;

import io.quiclb.appliance.forward.ForwarderCounter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How each {@link ForwarderCounter} becomes a Prometheus counter family, derived from its {@link
 * ForwarderCounter.Kind kind} and {@link ForwarderCounter#metricName() name} alone, so a counter added to the enum is
 * exported without a change here:
 * <pre>
 * Kind.ROUTED         quiclb_forwarder_routed_total{via}       routed-by-cid → via="cid", routed-to-thread → thread
 * Kind.DROPPED        quiclb_forwarder_dropped_total{reason}   dropped.too-short → reason="too-short"
 * Kind.AFTER_ROUTING  quiclb_forwarder_lost_total{reason}      dropped.send-failed → "send-failed", receive-errors
 * Kind.EVENT "a.b"    quiclb_forwarder_a_total{reason="b"}     unroutable-short.config-id-7, flow-open-failed.ports
 * Kind.EVENT "a-b"    quiclb_forwarder_a_b_total               received, replies, flows-opened, gso-sends
 * </pre>
 * Every family also has the {@code worker} label (added by {@link ForwarderCollector}). ROUTED and DROPPED are the
 * outcomes of a client datagram, so {@code sum(received) = sum(routed) + sum(dropped)}; AFTER_ROUTING losses are
 * counted besides an outcome and so have a family of their own.
 *
 * <p>The construction refuses a mapping that would give two counters the same series, one family two label names,
 * or a family one of the {@code reserved} names: a counter added with such a name fails the unit tests rather than
 * the scrape.
 *
 * <p><b>Thread safety:</b> immutable once constructed.
 */
final class CounterFamilies {
    /** The prefix of every family of the forwarder. */
    static final String PREFIX = "quiclb_forwarder_";
    /** The label that tells a family's members apart, for groups of dotted names and for drops. */
    static final String REASON = "reason";
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    /**
     * One counter's place in the exposition.
     *
     * @param counter    the counter (null in tests of the mapping alone)
     * @param name       its name
     * @param labelName  the label that tells it from the family's other members, or null when it is alone
     * @param labelValue that label's value, or null
     */
    record Member(ForwarderCounter counter, String name, String labelName, String labelValue) {
    }

    /**
     * A counter family.
     *
     * @param name    the family's name without {@code _total}
     * @param help    its HELP text
     * @param members its counters, in enum order
     */
    record Family(String name, String help, List<Member> members) {
    }

    private final List<Family> families;

    private CounterFamilies(List<Family> families) {
        this.families = families;
    }

    /**
     * @param counters the counters to export, usually {@link ForwarderCounter#values()}
     * @param reserved family names taken by other metrics of the forwarder (gauges), without {@code _total}
     * @return the families, in the order their first counter appears
     * @throws IllegalStateException when two counters would collide, or one would take a reserved name
     */
    static CounterFamilies of(ForwarderCounter[] counters, Collection<String> reserved) {
        List<Named> named = new ArrayList<>();
        for (ForwarderCounter counter : counters) {
            named.add(new Named(counter, counter.metricName(), counter.kind()));
        }
        return of(named, reserved);
    }

    /**
     * A counter as the mapping sees it: its name and kind (tests pass names the enum does not have).
     *
     * @param counter the counter read at scrape time; null in tests of the mapping alone
     * @param name    its {@link ForwarderCounter#metricName() name}
     * @param kind    its kind
     */
    record Named(ForwarderCounter counter, String name, ForwarderCounter.Kind kind) {
    }

    /**
     * @param counters the counters to export
     * @param reserved family names taken by other metrics of the forwarder (gauges), without {@code _total}
     * @return the families, in the order their first counter appears
     * @throws IllegalStateException when two counters would collide, or one would take a reserved name
     */
    static CounterFamilies of(List<Named> counters, Collection<String> reserved) {
        Map<String, String> help = new LinkedHashMap<>();
        Map<String, List<Member>> members = new LinkedHashMap<>();
        for (Named named : counters) {
            ForwarderCounter counter = named.counter();
            String name = named.name();
            String family;
            Member member;
            switch (named.kind()) {
                case ROUTED -> {
                    family = PREFIX + "routed";
                    member = new Member(counter, name, "via", strip(strip(name, "routed-"), "by-", "to-"));
                    help.putIfAbsent(family, "Client datagrams forwarded, by how the target was found: cid (the "
                            + "server ID in the DCID), thread (server and thread ID in the DCID), table (a remembered "
                            + "draft-21 4.2 decision), fallback (a new consistent-hash decision). An outcome.");
                }
                case DROPPED -> {
                    family = PREFIX + "dropped";
                    member = new Member(counter, name, REASON, strip(name, "dropped."));
                    help.putIfAbsent(family, "Client datagrams not forwarded, by reason. An outcome: "
                            + "received = routed + dropped.");
                }
                case AFTER_ROUTING -> {
                    family = PREFIX + "lost";
                    member = new Member(counter, name, REASON, strip(name, "dropped."));
                    help.putIfAbsent(family, "Datagrams lost after routing or on the reply side, by reason "
                            + "(a forwarded datagram whose send failed also counts as routed).");
                }
                default -> {
                    int dot = name.indexOf('.');
                    if (dot < 0) {
                        family = PREFIX + snake(name);
                        member = new Member(counter, name, null, null);
                        help.putIfAbsent(family, "Forwarder counter " + name + ".");
                    } else {
                        String group = name.substring(0, dot);
                        family = PREFIX + snake(group);
                        member = new Member(counter, name, REASON, name.substring(dot + 1));
                        help.putIfAbsent(family, "Forwarder counters " + group + ".*, by reason.");
                    }
                }
            }
            members.computeIfAbsent(family, f -> new ArrayList<>()).add(member);
        }
        List<Family> families = new ArrayList<>();
        for (Map.Entry<String, List<Member>> entry : members.entrySet()) {
            check(entry.getKey(), entry.getValue(), reserved);
            families.add(new Family(entry.getKey(), help.get(entry.getKey()), List.copyOf(entry.getValue())));
        }
        return new CounterFamilies(List.copyOf(families));
    }

    /** @return the families, in the order their first counter appears in the enum */
    List<Family> families() {
        return families;
    }

    private static void check(String family, List<Member> members, Collection<String> reserved) {
        if (!NAME.matcher(family).matches()) {
            throw new IllegalStateException("not a Prometheus metric name: " + family);
        }
        if (reserved.contains(family) || reserved.contains(family + "_total")) {
            throw new IllegalStateException(family + " is taken by another metric of the forwarder");
        }
        String labelName = members.getFirst().labelName();
        Set<String> values = new java.util.HashSet<>();
        for (Member member : members) {
            if (!java.util.Objects.equals(labelName, member.labelName())) {
                throw new IllegalStateException(family + ": " + member.name()
                        + " would need a different label than " + members.getFirst().name());
            }
            if (!values.add(String.valueOf(member.labelValue()))) {
                throw new IllegalStateException(family + ": " + member.name() + " would repeat the series of "
                        + members.getFirst().name() + (labelName == null ? "" : " or another counter"));
            }
        }
    }

    /** @return {@code text} without the first of {@code prefixes} it starts with */
    private static String strip(String text, String... prefixes) {
        for (String prefix : prefixes) {
            if (text.startsWith(prefix) && text.length() > prefix.length()) {
                return text.substring(prefix.length());
            }
        }
        return text;
    }

    /** @return a counter name part as a metric name part: {@code flows-opened} → {@code flows_opened} */
    static String snake(String name) {
        StringBuilder out = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean keep = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
            out.append(keep ? c : '_');
        }
        return out.toString().toLowerCase(Locale.ROOT);
    }
}
