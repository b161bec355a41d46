package io.ichiba.bench.http;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Command-line flags of the benchmark mains: {@code --name value} pairs after an optional leading mode word.
 *
 * @param mode   the first argument when it is not a flag (e.g. {@code open}), else empty
 * @param values flag values by name, without the dashes
 */
record Flags(String mode, Map<String, String> values) {

    /** Parses {@code args}; a flag without a value is an error. */
    static Flags parse(String[] args) {
        int i = 0;
        String mode = "";
        if (args.length > 0 && !args[0].startsWith("--")) {
            mode = args[0];
            i = 1;
        }
        Map<String, String> values = new HashMap<>();
        for (; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value, got: " + args[i]);
            }
            values.put(args[i].substring(2), args[i + 1]);
        }
        return new Flags(mode, Map.copyOf(values));
    }

    /** Returns flag {@code name}, which must be given. */
    String need(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("missing --" + name);
        }
        return v;
    }

    /** Returns flag {@code name}, or {@code dflt}. */
    String get(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    /** Returns whole-number flag {@code name}, or {@code dflt}. */
    long num(String name, long dflt) {
        String v = values.get(name);
        return v == null ? dflt : Long.parseLong(v);
    }

    /** Returns decimal flag {@code name}, or {@code dflt}. */
    double dbl(String name, double dflt) {
        String v = values.get(name);
        return v == null ? dflt : Double.parseDouble(v);
    }

    /** Returns comma-separated flag {@code name}, which must be given. */
    List<String> list(String name) {
        return List.of(need(name).split(","));
    }
}
