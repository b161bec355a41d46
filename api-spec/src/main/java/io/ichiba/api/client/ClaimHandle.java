package io.ichiba.api.client;

import io.ichiba.api.Model;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * One submitted claim: its id, its state as last seen, and what can be done with it — wait for the grant, renew,
 * release, cancel. Each method is one or more calls of its {@link IchibaClient}; the handle remembers the claim the
 * broker answered last.
 *
 * <pre>{@code
 * ClaimHandle h = client.claim(bundle).lease(Duration.ofSeconds(60)).submit();
 * try {
 *     h.awaitGranted(Duration.ofMinutes(2));      // NotGrantedException: timed out, or ended first
 *     ... work, calling h.renew() at least once a lease ...
 * } finally {
 *     h.release();
 * }
 * }</pre>
 *
 * <p>Thread-safe: the calls may come from several threads; {@link #claim()} is whichever answer arrived last.
 */
public final class ClaimHandle {
    /** The states a claim does not leave. */
    static final Set<Model.ClaimState> FINAL = EnumSet.of(Model.ClaimState.RELEASED, Model.ClaimState.CANCELLED,
            Model.ClaimState.EXPIRED, Model.ClaimState.LOST, Model.ClaimState.PREEMPTED);
    private static final long MAX_WAIT_SECONDS = 60;

    private final IchibaClient client;
    private final String id;
    private volatile Model.Claim last;

    /** A handle of a claim the caller already has, e.g. one submitted earlier or listed by {@code GET /v1/claims}. */
    ClaimHandle(IchibaClient client, Model.Claim claim) {
        this.client = Objects.requireNonNull(client, "client");
        this.last = Objects.requireNonNull(claim, "claim");
        this.id = Objects.requireNonNull(claim.id(), "claim.id");
    }

    /** The claim's id. */
    public String id() {
        return id;
    }

    /** The claim as the broker answered it last; asks nothing. */
    public Model.Claim claim() {
        return last;
    }

    /** The claim's state as last seen; asks nothing (see {@link #refresh()}). */
    public Model.ClaimState state() {
        return last.state();
    }

    /** Asks the broker for the claim as it is now ({@code GET /v1/claims/{id}}) and remembers it. */
    public Model.Claim refresh() {
        return seen(client.claim(id));
    }

    /**
     * Waits until the claim is granted, long-polling the broker ({@code GET /v1/claims/{id}?waitSeconds=…}) until it
     * leaves {@code QUEUED} or the timeout passes. Returns at once, without a call, when the claim was last seen
     * granted.
     *
     * <p>The broker waits in whole seconds, so the last poll may end up to a second after {@code timeout}.
     *
     * @param timeout how long to wait; zero checks the state last seen only
     * @return the granted claim (node, lease deadline)
     * @throws NotGrantedException when it ended without a grant ({@link NotGrantedException#timedOut()} false: e.g.
     *                             cancelled) or is still queued at the timeout ({@code timedOut()} true; the claim
     *                             stays queued: cancel it if it is no longer wanted)
     * @throws IchibaException     when a poll fails; the claim is unchanged by that
     */
    public Model.Claim awaitGranted(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative, was " + timeout);
        }
        long deadline = System.nanoTime() + Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
        Model.Claim c = last;
        while (true) {
            if (c.state() == Model.ClaimState.GRANTED) {
                return c;
            }
            if (FINAL.contains(c.state())) {
                throw new NotGrantedException(c, false);
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new NotGrantedException(c, true);
            }
            int wait = (int) Math.max(1, Math.min(MAX_WAIT_SECONDS, Duration.ofNanos(remaining).toSeconds()));
            c = seen(client.claim(id, wait));
        }
    }

    /** Extends the granted claim's lease from now by its lease length ({@code POST /v1/claims/{id}/renew}). */
    public Model.Claim renew() {
        return seen(client.renew(id));
    }

    /**
     * Extends the granted claim's lease from now by {@code lease}, rounded up to whole seconds.
     *
     * @throws IllegalArgumentException when not between 1 s and 86400 s
     */
    public Model.Claim renew(Duration lease) {
        return seen(client.renew(id, seconds(lease, "lease")));
    }

    /** Releases the granted claim: its tokens return ({@code POST /v1/claims/{id}/release}); again is harmless. */
    public Model.Claim release() {
        return seen(client.release(id));
    }

    /** Cancels the claim, queued or granted ({@code DELETE /v1/claims/{id}}); an ended claim is answered unchanged. */
    public Model.Claim cancel() {
        return seen(client.cancel(id));
    }

    /** Whether the claim was last seen in a state it does not leave (released, cancelled, expired, lost, preempted). */
    public boolean ended() {
        return FINAL.contains(last.state());
    }

    /** Remembers an answer; a claim never leaves a final state, so a late answer from before its end is not kept. */
    private Model.Claim seen(Model.Claim c) {
        synchronized (this) {
            if (!(FINAL.contains(last.state()) && !FINAL.contains(c.state()))) {
                last = c;
            }
        }
        return c;
    }

    @Override
    public String toString() {
        return "ClaimHandle[" + id + ", " + last.state() + "]";
    }

    /** Whole seconds of a lease, rounded up, checked against the broker's range. */
    static long seconds(Duration d, String name) {
        Objects.requireNonNull(d, name);
        long s = d.getSeconds() + (d.getNano() > 0 ? 1 : 0);
        if (d.isNegative() || s < 1 || s > 86_400) {
            throw new IllegalArgumentException(name + " must be 1 s to 86400 s, was " + d);
        }
        return s;
    }
}
