package io.ichiba.ledger.journal;

import java.util.Map;

/**
 * The engine's replicated log of batches, fenced by epoch.
 *
 * <pre>
 *   takeOver()          epoch := epoch + 1; answers the state tables and the batches not yet in them
 *   append(batch)       refused unless batch.epoch == epoch and batch.seq == lastSeq + 1
 *                       (a batch already appended in this epoch, run again, is answered as appended)
 *   writeBehind(...)    the state tables take the coalesced changes up to a sequence; the journal then
 *                       drops the batches they cover
 * </pre>
 *
 * <p>An engine answers nobody before its batch's {@code append} returned. A paused engine that wakes after
 * another took over holds a stale epoch: its appends are refused ({@link FencedException}), so it can neither
 * write nor tell anyone "done".
 */
public interface Journal extends AutoCloseable {

    /** Becomes the journal's writer: bumps the epoch and answers what the new engine starts from. */
    Takeover takeOver();

    /**
     * Appends {@code batch} as one replicated write.
     *
     * @throws FencedException             the batch is not in the journal and cannot be: its epoch is stale or its
     *                                     sequence does not follow (another engine took over)
     * @throws JournalUnavailableException the outcome is unknown: the batch may be in the journal or not
     */
    void append(Batch batch);

    /**
     * Writes behind: puts each table's changed records (a {@code null} value removes the key) into the state tables,
     * then lets the journal drop its batches up to {@code seq}, which the tables now hold.
     *
     * @return whether the journal dropped them (false when {@code epoch} is no longer the journal's)
     */
    boolean writeBehind(long epoch, long seq, Map<String, Map<String, Object>> changes);

    /**
     * Starts an empty journal from a state kept elsewhere (a durable copy, after every member stopped): the state tables
     * take {@code tables}, each record as written by batch {@code seq}, and the next append must be {@code seq + 1}.
     *
     * @param seq  the last batch the state holds
     * @param time the engine's time of that batch: the next engine's clock resumes from it
     * @throws IllegalStateException the journal is not empty
     */
    default void restore(long seq, long time, Map<String, Map<String, Object>> tables) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot be restored");
    }

    /**
     * Whether the journal would keep a copy of the whole state after batch {@code seq} now (a durable journal takes
     * one every so many batches or seconds): the engine then hands it to {@link #snapshot}.
     */
    default boolean snapshotDue(long seq) {
        return false;
    }

    /**
     * Keeps a copy of the whole state after batch {@code seq}: each table's committed records, copied by the engine
     * (the records themselves are immutable). The journal writes it on its own thread; the engine goes on.
     *
     * @param time      the engine's time of batch {@code seq}
     * @param lastEvent the sequence of the newest event the engine published up to it
     */
    default void snapshot(long epoch, long seq, long time, long lastEvent, Map<String, Map<String, Object>> tables) {
    }

    /**
     * What of the journal was found lost (its records gone with more members than it has copies), or {@code null}:
     * while it is set no engine takes the journal over.
     */
    default String lost() {
        return null;
    }

    @Override
    default void close() {
    }
}
