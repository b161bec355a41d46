package io.ichiba.ledger.claim;

/** The life of a claim: queued, granted, then one of the final states. */
public enum ClaimState {
    /** Waiting for its whole bundle. */
    QUEUED,
    /** Holds every token of its bundle until its lease ends. */
    GRANTED,
    /** Released by its holder. */
    RELEASED,
    /** Cancelled while queued or granted. */
    CANCELLED,
    /** Its lease passed its deadline without renewal. */
    EXPIRED,
    /**
     * Preempted: the quota it relied on was recalled or its term ended (reason {@code RECALL} or {@code TERM}),
     * or an urgent purchase took its place (reason {@code URGENT}); its tokens returned.
     */
    PREEMPTED,
    /** Its node was lost (reason {@code NODE_LOST}): the tokens returned to a pool that no longer has them. */
    LOST;

    /** Whether the claim has ended. */
    public boolean isFinal() {
        return this == RELEASED || this == CANCELLED || this == EXPIRED || this == LOST || this == PREEMPTED;
    }

    /** Whether the claim holds tokens. */
    public boolean isLive() {
        return this == GRANTED;
    }
}
