package io.ichiba.ledger.store;

import java.io.Serializable;

/**
 * A record the engine's journal may carry as what changed since the record it replaces, not whole: a tenant with
 * thousands of earmarks and loan shares of which an order changed one. The engine's member keeps the whole record
 * (its tables, the state written behind); what is written for the journal's backup is the patch, and a member that
 * takes over applies it to the record as it loaded it.
 *
 * <p>A patch must be absolute — set these fields, put or remove these entries — never relative ("add 5"): a member
 * that takes over may apply a batch's patch to a record that already holds it (the state written behind can be
 * newer than the journal's trim), and then applies every later batch too, so the result is the same.
 *
 * @param <V> the record
 */
public interface Incremental<V> {

    /** What changed from {@code before} to this record, or {@code null} when it cannot tell (then it goes whole). */
    Patch<V> since(V before);

    /**
     * The engine made this record the committed one: the next change is told against it, so what it keeps to tell
     * what changed since an older record may go (the records it was made from, kept alive by it: a node's last 64
     * holdings, two thirds of a granted claim's heap before). Engine thread only.
     */
    default void committed() {
    }

    /**
     * The change of a record: applied to the record before, it gives the record after.
     *
     * @param <V> the record
     */
    interface Patch<V> extends Serializable {
        /** The record after, from the record before. */
        V applyTo(V before);
    }

    /** How a patch travels in place of its record (the value a member that takes over finds in a batch). */
    record Patched(Patch<?> patch) implements Serializable {
        /** The record after, from the record before. */
        @SuppressWarnings({"unchecked", "rawtypes"})
        public Object applyTo(Object before) {
            return ((Patch) patch).applyTo(before);
        }
    }
}
