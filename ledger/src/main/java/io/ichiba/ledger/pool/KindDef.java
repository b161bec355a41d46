package io.ichiba.ledger.pool;

import java.io.Serializable;

/**
 * A node-local resource kind that agents report and bundles name: {@code memory} and {@code disk} are
 * built in, operators define more (e.g. {@code gpu}).
 *
 * @param name      kind name
 * @param unit      unit of its amounts, for people (MiB, devices)
 * @param createdAt epoch millis
 */
public record KindDef(String name, String unit, long createdAt) implements Serializable {
    /** The kinds every broker knows. */
    public static final java.util.List<String> BUILT_IN = java.util.List.of("memory", "disk");
}
