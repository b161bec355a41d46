package io.ichiba.ledger.store;

import java.io.Serializable;

/**
 * A whole operation of the ledger as a value: what a member asks the engine to run, wherever the engine runs. On the
 * engine's member it runs against that member's context (its {@code Ledger}, {@link Store#bind bound} to its
 * store), as one command: all of its changes are journaled together or none are.
 *
 * <p>An operation captures only its arguments (values that serialize), never the object that sends it: it reaches
 * everything else through the context it is given.
 *
 * @param <C> the context it runs against
 * @param <R> its answer (a value that serializes)
 */
@FunctionalInterface
public interface Operation<C, R> extends Serializable {

    /** Runs the operation against {@code context}. */
    R run(C context);
}
