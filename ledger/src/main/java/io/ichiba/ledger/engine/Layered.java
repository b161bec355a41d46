package io.ichiba.ledger.engine;

import io.ichiba.ledger.journal.Change;

import java.util.List;

/**
 * What the engine does with each of its tables at the ends of commands and batches ({@link EngineTable} for records,
 * {@link BookTable} for the markets' books, journaled as their parts). Engine thread only, but for
 * {@link #readCommitted} and {@link #tell}.
 */
interface Layered {

    /** The names of the journal's tables this one writes (a {@link Change} names one of them). */
    List<String> names();

    /**
     * The running command ended well and its changes are about to join the batch: moves the events its records emitted
     * (their outboxes' pending events) to {@code out}, in order, leaving the records with none pending. The batch
     * carries them, and the engine publishes them once the batch is journaled.
     */
    default void drainEvents(List<Object> out) {
    }

    /** The running command ended well: its changes join the batch. */
    void commitCommand();

    /** The running command failed: its changes are dropped. */
    void rollbackCommand();

    /** The batch's changes, one per key. */
    void changes(List<Change> out);

    /** The batch was journaled: its changes become the committed state. */
    void commitBatch();

    /** The batch was refused: its changes are dropped. */
    void rollbackBatch();

    /** Forgets everything (the engine stopped here). */
    void clear();

    /** Sets a committed record of journal table {@code table} (takeover's load and replay). */
    void load(String table, String key, Object value);

    /** The committed record {@code key} of journal table {@code table}, or {@code null}. */
    Object committed(String table, String key);

    /**
     * Adds each committed record to {@code out}, by journal table name and key: a copy of the maps, not of the records
     * (they are immutable), for a snapshot. Engine thread only.
     */
    void snapshot(java.util.Map<String, java.util.Map<String, Object>> out);

    /** Tells the listeners of a journaled record (on the engine's notifier thread). */
    void tell(Object value);

    /** Answers a read sent from another thread or member, from the committed state. */
    <R> R readCommitted(TableCall<R> call);
}
