package io.ichiba.ledger.claim;

import io.ichiba.ledger.event.Emits;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.event.Outbox;
import io.ichiba.ledger.store.Settleable;

import java.io.Serializable;

/**
 * A request for a bundle of tokens.
 *
 * <p>Its grant holds the tenant's quota, the node's pools and each lock's permit, in one command of the engine, and
 * {@code returned} says that every hold of an ended claim is back.
 *
 * @param id              claim id
 * @param tenant          the tenant that owns it
 * @param bundle          what it asks for
 * @param priority        higher first
 * @param leaseSeconds    lease length on grant and on each renewal
 * @param requestedNode   the node asked for, or {@code null} to let the broker choose
 * @param state           where it is in its life
 * @param node            the node its node-local tokens are held on
 * @param createdAt       epoch millis
 * @param grantedAt       epoch millis of the grant, 0 before
 * @param leaseExpiresAt  epoch millis the lease ends, 0 before grant
 * @param endedAt         epoch millis it reached a final state, 0 before
 * @param reason          why it waits (a {@link Rejection.Code} name) or why it ended
 * @param considered      whether the admission loop has looked at it
 * @param returned        whether, in a final state, every hold has been returned
 * @param preemptAt       epoch millis a granted claim will be preempted at (a recall's notice), 0 if none
 * @param funding         how it may be paid for
 * @param reservation     the reservation it is a copy of, or {@code null}
 * @param notAfter        epoch millis its lease may not run past (its reservation's end), 0 if unbounded
 * @param outbox          events of its changes not yet in the event log
 */
public record Claim(String id, String tenant, Bundle bundle, int priority, long leaseSeconds, String requestedNode,
                    ClaimState state, String node, long createdAt, long grantedAt,
                    long leaseExpiresAt, long endedAt, String reason, boolean considered, boolean returned,
                    long preemptAt, Funding funding, String reservation, long notAfter, Outbox outbox)
        implements Emits<Claim>, Settleable {

    /** Defaults the funding to own quota. */
    public Claim {
        funding = funding == null ? Funding.QUOTA_ONLY : funding;
        outbox = outbox == null ? Outbox.empty() : outbox;
    }

    /** Settled: ended, and its tokens returned; kept only to be read until it is purged. */
    @Override
    public boolean settled() {
        return state.isFinal() && returned;
    }

    /** Returns a new queued claim. */
    public static Claim queued(String id, String tenant, Bundle bundle, int priority, long leaseSeconds,
                               String requestedNode, long now, Funding funding) {
        return new Claim(id, tenant, bundle, priority, leaseSeconds, requestedNode, ClaimState.QUEUED, null, now,
                0, 0, 0, null, false, false, 0, funding, null, 0, Outbox.empty())
                .emit("claim.queued", now, Outbox.details("priority", String.valueOf(priority)));
    }

    /**
     * Returns the claim that copy {@code id} of a reservation becomes at its start: granted on {@code onNode} with what
     * was booked for it when {@code held}, its lease running {@code leaseSeconds} but never past
     * {@code notAfter}; else cancelled, the holds it got to be returned.
     */
    public static Claim fromReservation(String id, String tenant, Bundle bundle, int priority, long leaseSeconds,
                                        String onNode, long now, Funding funding, String reservation, long notAfter,
                                        boolean held) {
        Claim copy = new Claim(id, tenant, bundle, priority, leaseSeconds, onNode, ClaimState.QUEUED, onNode, now,
                0, 0, 0, null, true, false, 0, funding, reservation, notAfter, Outbox.empty());
        return held ? copy.grantedOn(onNode, now) : copy.ended(ClaimState.CANCELLED, now, false);
    }

    /** Whether it is a copy of a reservation. */
    public boolean reserved() {
        return reservation != null;
    }

    /** The lease deadline of a grant or renewal at {@code from} for {@code seconds}: never past {@code notAfter}. */
    private long deadline(long from, long seconds) {
        long d = Math.addExact(from, seconds * 1000);
        return notAfter > 0 ? Math.min(d, notAfter) : d;
    }

    /** Returns this claim granted on {@code onNode} ({@code null}: it holds nothing node-local). */
    Claim grantedOn(String onNode, long now) {
        return new Claim(id, tenant, bundle, priority, leaseSeconds, requestedNode, ClaimState.GRANTED, onNode,
                createdAt, now, deadline(now, leaseSeconds), 0, null, true, false, 0, funding, reservation, notAfter,
                outbox).emit("claim.granted", now, Outbox.details("node", onNode, "leaseExpiresAt",
                        String.valueOf(deadline(now, leaseSeconds))));
    }

    public Claim waiting(String why) {
        return new Claim(id, tenant, bundle, priority, leaseSeconds, requestedNode, state, node, createdAt,
                grantedAt, leaseExpiresAt, endedAt, why, true, returned, preemptAt, funding, reservation, notAfter,
                outbox);
    }

    Claim ended(ClaimState finalState, long now, boolean nothingHeld) {
        return ended(finalState, finalState.name(), now, nothingHeld);
    }

    Claim ended(ClaimState finalState, String why, long now, boolean nothingHeld) {
        return new Claim(id, tenant, bundle, priority, leaseSeconds, requestedNode, finalState, node,
                createdAt, grantedAt, leaseExpiresAt, now, why, considered, nothingHeld, preemptAt, funding,
                reservation, notAfter, outbox)
                .emit(endedType(finalState), now, Outbox.details("reason", why, "node", node));
    }

    private static String endedType(ClaimState s) {
        return switch (s) {
            case RELEASED -> "claim.released";
            case CANCELLED -> "claim.cancelled";
            case EXPIRED -> "claim.expired";
            case PREEMPTED -> "claim.preempted";
            case LOST -> "claim.lost";
            default -> "claim." + s.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** Returns this claim with one more event in its outbox. */
    Claim emit(String type, long time, java.util.SortedMap<String, String> details) {
        return withOutbox(outbox.emit(type, time, details));
    }

    /**
     * Renders one of its events: {@code claim:<id>:<n>}, for its tenant, with the claim's id, priority and bundle
     * and what the change said (node, reason, lease deadline, preemption time).
     */
    @Override
    public Event toEvent(Outbox.Pending p) {
        java.util.TreeMap<String, String> payload = new java.util.TreeMap<>(p.details());
        payload.put("claim", id);
        payload.put("priority", String.valueOf(priority));
        payload.put("bundle", bundle.render());
        if (reservation != null) {
            payload.put("reservation", reservation);
        }
        return new Event("claim:" + id + ":" + p.n(), p.type(), p.time(), tenant, id,
                java.util.Collections.unmodifiableSortedMap(payload));
    }

    /** Returns this claim with another outbox (the engine acknowledges what its batch published). */
    @Override
    public Claim withOutbox(Outbox o) {
        return new Claim(id, tenant, bundle, priority, leaseSeconds, requestedNode, state, node, createdAt,
                grantedAt, leaseExpiresAt, endedAt, reason, considered, returned, preemptAt, funding, reservation,
                notAfter, o);
    }

    Claim renewed(long now, long seconds) {
        return new Claim(id, tenant, bundle, priority, seconds, requestedNode, state, node, createdAt,
                grantedAt, deadline(now, seconds), endedAt, reason, considered, returned, preemptAt, funding,
                reservation, notAfter, outbox);
    }

    Claim withReturned() {
        return new Claim(id, tenant, bundle, priority, leaseSeconds, requestedNode, state, node, createdAt,
                grantedAt, leaseExpiresAt, endedAt, reason, considered, true, preemptAt, funding, reservation, notAfter,
                outbox);
    }

    Claim noticed(long at, String why, long now) {
        return new Claim(id, tenant, bundle, priority, leaseSeconds, requestedNode, state, node, createdAt,
                grantedAt, leaseExpiresAt, endedAt, why, considered, returned, at, funding, reservation, notAfter,
                outbox).emit("claim.preempt-notice", now, Outbox.details("preemptAt", String.valueOf(at), "node",
                node));
    }

    /**
     * Whether whether it fits may depend on anything (prices, credits, other tenants' grants, what was booked for it):
     * it buys, is urgent or is a reservation's copy, and no other claim is alike.
     */
    public boolean mayDependOnAnything() {
        return funding.buys() || urgent() || reserved();
    }

    /** Whether it is an urgent purchase (admitted ahead of every other claim). */
    public boolean urgent() {
        return funding.urgent();
    }
}
