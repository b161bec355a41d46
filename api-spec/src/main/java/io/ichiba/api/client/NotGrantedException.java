package io.ichiba.api.client;

import io.ichiba.api.Model;

/**
 * A claim that was waited for and is not granted: either the wait ran out while it was still queued
 * ({@link #timedOut()}), or it ended first — cancelled, or expired, preempted or lost before the caller saw it
 * granted.
 *
 * <p>The broker answered every call; this is not a transport failure, and waiting again makes sense only after a
 * time-out. {@link #claim()} is the claim as last seen.
 */
public final class NotGrantedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Model.Claim claim;
    private final boolean timedOut;

    /**
     * Creates the exception.
     *
     * @param claim    the claim as last seen
     * @param timedOut whether the wait ran out with the claim still queued (else it ended)
     */
    public NotGrantedException(Model.Claim claim, boolean timedOut) {
        super(message(claim, timedOut));
        this.claim = claim;
        this.timedOut = timedOut;
    }

    /** The claim as last seen: {@code QUEUED} after a time-out, else its final state and reason. */
    public Model.Claim claim() {
        return claim;
    }

    /** Whether the wait ran out while the claim was still queued; {@code false} when the claim ended. */
    public boolean timedOut() {
        return timedOut;
    }

    private static String message(Model.Claim c, boolean timedOut) {
        String reason = c.reason() == null ? "" : " (" + c.reason() + ")";
        return timedOut ? "claim " + c.id() + " still " + c.state() + reason + " when the wait ran out"
                : "claim " + c.id() + " ended " + c.state() + reason + " without being granted";
    }
}
