package io.ichiba.ledger.journal;

import java.io.Serializable;
import java.util.Objects;

/**
 * One record as a batch left it: the new value of {@code key} in {@code table}, or its removal.
 *
 * @param table the table's name ({@code claims}, {@code nodes}, …)
 * @param key   the record's key
 * @param value the record after the batch, or {@code null} when the batch removed it
 */
public record Change(String table, String key, Object value) implements Serializable {
    /** Checks the names. */
    public Change {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(key, "key");
    }

    /** Whether the batch removed the record. */
    public boolean removed() {
        return value == null;
    }
}
