package io.ichiba.broker.admission;

import io.ichiba.ledger.Claim;
import io.ichiba.ledger.Result;

import java.util.function.Supplier;

/**
 * How a new claim enters: its submission, and on the engine's member, when nothing is queued ahead of it, the
 * admission pass that may grant it at once, as one command (one batch): a claim that fits is answered GRANTED by its
 * POST without waiting for the admission loop.
 */
@FunctionalInterface
public interface Intake {
    /** Submits only: the admission loop decides later. */
    Intake SUBMIT_ONLY = Supplier::get;

    /** Runs {@code submit}; answers its result, with the claim as it is after the intake. */
    Result<Claim> submit(Supplier<Result<Claim>> submit);

    /**
     * As {@link #submit}, as one command of the engine on this member without holding the caller's thread, or
     * {@code null} when that cannot be done here (then call {@link #submit} where a thread may wait).
     */
    default java.util.concurrent.CompletableFuture<Result<Claim>> submitLocal(Supplier<Result<Claim>> submit) {
        return null;
    }
}
