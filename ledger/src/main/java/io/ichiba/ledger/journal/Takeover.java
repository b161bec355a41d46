package io.ichiba.ledger.journal;

import java.util.List;
import java.util.Map;

/**
 * What an engine starts from when it takes over: its new epoch, the state tables as last written behind, and the
 * journal's batches that are not yet in them (to be applied in order).
 *
 * @param epoch   the new engine's epoch: every append it makes carries it
 * @param lastSeq the journal's last sequence: the new engine's first batch is {@code lastSeq + 1}
 * @param tables  each table's records by key, as written behind up to some batch at or before {@code lastSeq}
 * @param batches the batches after what the tables are known to hold, oldest first
 * @param lastTime the latest time a batch carried (0: none did): the new engine's clock resumes from it
 * @param lastEvent at least the sequence of the newest event handed out before, when the event log starts empty
 *                  (a state from the database); -1: the log is as it was
 */
public record Takeover(long epoch, long lastSeq, Map<String, Map<String, Object>> tables, List<Batch> batches,
                       long lastTime, long lastEvent) {

    /** A takeover whose event log is as it was. */
    public Takeover(long epoch, long lastSeq, Map<String, Map<String, Object>> tables, List<Batch> batches,
                    long lastTime) {
        this(epoch, lastSeq, tables, batches, lastTime, -1);
    }

    /** A takeover of a journal that carries no time. */
    public Takeover(long epoch, long lastSeq, Map<String, Map<String, Object>> tables, List<Batch> batches) {
        this(epoch, lastSeq, tables, batches, 0);
    }

    /** Copies the batches. */
    public Takeover {
        batches = List.copyOf(batches);
    }
}
