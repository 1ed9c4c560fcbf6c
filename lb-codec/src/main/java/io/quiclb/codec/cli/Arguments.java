package io.quiclb.codec.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line arguments of one subcommand: {@code --name value} options, {@code --flag} switches and positional
 * operands. Every lookup that fails throws {@link IllegalArgumentException} with a one-line message that names
 * the option; values of options named in {@code secret} never appear in a message.
 *
 * <p><b>Thread safety:</b> not thread-safe; built and read on one thread.
 */
final class Arguments {
    private final Map<String, String> options = new HashMap<>();
    private final List<String> flags = new ArrayList<>();
    private final List<String> operands = new ArrayList<>();

    /**
     * @param args         the arguments after the subcommand
     * @param valueOptions names (with {@code --}) that take a value
     * @param flagOptions  names (with {@code --}) that take none
     */
    Arguments(List<String> args, Set<String> valueOptions, Set<String> flagOptions) {
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                operands.add(arg);
            } else if (flagOptions.contains(arg)) {
                if (flags.contains(arg)) {
                    throw new IllegalArgumentException("option given twice: " + arg);
                }
                flags.add(arg);
            } else if (valueOptions.contains(arg)) {
                if (i + 1 >= args.size()) {
                    throw new IllegalArgumentException("option needs a value: " + arg);
                }
                if (options.put(arg, args.get(++i)) != null) {
                    throw new IllegalArgumentException("option given twice: " + arg);
                }
            } else {
                throw new IllegalArgumentException("unknown option: " + arg);
            }
        }
    }

    String required(String name) {
        String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing required option: " + name);
        }
        return value;
    }

    String optional(String name) {
        return options.get(name);
    }

    int requiredInt(String name) {
        return parseInt(name, required(name));
    }

    int optionalInt(String name, int defaultValue) {
        String value = options.get(name);
        return value == null ? defaultValue : parseInt(name, value);
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    List<String> operands() {
        return Collections.unmodifiableList(operands);
    }

    private static int parseInt(String name, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be an integer: " + name + "=" + value);
        }
    }
}
