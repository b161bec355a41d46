package io.ichiba.ledger.engine;

import java.util.function.Consumer;

/**
 * How a member that is not the engine reaches it: sends a {@link TableCall} to the engine's member, and hears of
 * changes from the state written behind. The Hazelcast one sends calls to the owner of the engine's key.
 */
public interface Remote {

    /**
     * Runs {@code call} on the engine's member and answers its result.
     *
     * @throws NotEngineException          the member asked is not (or no longer) the engine: ask again
     * @throws EngineUnavailableException the engine's member could not be reached
     */
    <R> R call(String table, TableCall<R> call);

    /**
     * Runs {@code op} on the engine's member, as one command against its context, and answers its result. An
     * operation sent again under the same {@code id} is answered as the first time, not run again.
     *
     * @throws NotEngineException          the member asked is not (or no longer) the engine: ask again
     * @throws EngineUnavailableException the engine's member could not be reached
     */
    <R> R operate(String id, io.ichiba.ledger.store.Operation<?, R> op);

    /**
     * Whether this member can reach a majority of the cluster (its split-brain protection holds): without it no
     * engine can be reached from here, and a call fails at once instead of waiting.
     */
    default boolean quorum() {
        return true;
    }

    /** Answers a read from the state written behind, as this member holds it (a minority's last view). */
    <R> R readBehind(String table, TableCall<R> call);

    /**
     * Calls {@code listener} with each record of {@code table} written behind (added or updated), until the answer is
     * closed.
     */
    AutoCloseable listen(String table, Consumer<Object> listener);
}
