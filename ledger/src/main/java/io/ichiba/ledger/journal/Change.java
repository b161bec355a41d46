package io.ichiba.ledger.journal;

import io.ichiba.ledger.store.Incremental;

import java.io.Serializable;
import java.util.Objects;

/**
 * One record as a batch left it: the new value of {@code key} in {@code table}, or its removal.
 *
 * @param table the table's name ({@code claims}, {@code nodes}, …)
 * @param key   the record's key
 * @param value the record after the batch, or {@code null} when the batch removed it; in a batch read from another
 *              member, an {@link Incremental.Patched} to apply to the record before
 * @param patch what changed from the record before, written to other members in place of the value; or {@code null}
 */
public record Change(String table, String key, Object value, Incremental.Patch<?> patch) implements Serializable {
    /** Checks the names. */
    public Change {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(key, "key");
    }

    /** A change without a patch. */
    public Change(String table, String key, Object value) {
        this(table, key, value, null);
    }

    /** This change as written to another member: its patch in place of its value, if it has one. */
    public Change written() {
        return patch == null ? this : new Change(table, key, new Incremental.Patched(patch), null);
    }

    private Object writeReplace() {
        return written();
    }

    /** Whether the batch removed the record. */
    public boolean removed() {
        return value == null;
    }
}
