package io.ichiba.ledger;

import java.io.Serializable;

/**
 * A pure state transition of one key: given the current value (or {@code null}), the next value and a result.
 *
 * <p>Commands carry everything they depend on, the time included, so that running one twice on equal
 * state gives equal results: the Hazelcast store runs the same command on the primary and on its
 * synchronous backup.
 *
 * @param <S> the value type
 * @param <R> the result type
 */
@FunctionalInterface
public interface Command<S, R> extends Serializable {

    /** Applies the command to {@code current} ({@code null} when the key is absent). */
    Outcome<S, R> apply(S current);

    /**
     * The result of a command: the value to store (if {@code write}) and what to answer.
     *
     * @param next   the new value; {@code null} removes the key
     * @param result the answer to the caller
     * @param write  whether the value changed
     * @param <S>    the value type
     * @param <R>    the result type
     */
    record Outcome<S, R>(S next, R result, boolean write) {
        /** An outcome that stores {@code next}. */
        public static <S, R> Outcome<S, R> write(S next, R result) {
            return new Outcome<>(next, result, true);
        }

        /** An outcome that changes nothing. */
        public static <S, R> Outcome<S, R> keep(R result) {
            return new Outcome<>(null, result, false);
        }
    }
}
