package io.ichiba.ledger.handler;

import io.ichiba.ledger.event.Event;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One event handed to one owner's handlers of its type, and where each handler is: the record that drives the
 * ack policy. Its id is the event's id and the owner's, so an event appended to the log twice is delivered once.
 *
 * @param id        {@code <event id>|<owner or *>}
 * @param seq       the event's place in the log
 * @param event     the event
 * @param owner     the owner of the bindings, or {@code null} for cluster-wide ones
 * @param policy    the owner's ack policy for the event's type
 * @param steps     one per binding, in priority order
 * @param ack       whether the event is acknowledged, refused, or not yet
 * @param ackedAt   epoch millis it was acknowledged or refused, 0 before
 * @param createdAt epoch millis
 */
public record Delivery(String id, long seq, Event event, String owner, Binding.AckPolicy policy, List<Step> steps,
                       Ack ack, long ackedAt, long createdAt) implements Serializable {

    /** The acknowledgement of the event. */
    public enum Ack { PENDING, ACKED, FAILED }

    /** Where one handler is with the event. */
    public enum StepState { PENDING, OK, FAILED, SKIPPED }

    /**
     * One handler's part.
     *
     * @param binding   the binding id
     * @param priority  its priority when the delivery was made
     * @param state     where it is
     * @param attempts  attempts made
     * @param nextAt    epoch millis the next attempt may start
     * @param lastError the last failure, or {@code null}
     */
    public record Step(String binding, int priority, StepState state, int attempts, long nextAt, String lastError)
            implements Serializable {
        /** Whether it is settled. */
        public boolean settled() {
            return state != StepState.PENDING;
        }
    }

    /** Normalises the steps. */
    public Delivery {
        steps = List.copyOf(steps);
    }

    /** Returns the id of the delivery of {@code e} to {@code owner}'s bindings. */
    public static String idOf(Event e, String owner) {
        return e.id() + "|" + (owner == null ? "*" : owner);
    }

    /** A new delivery of {@code e} to {@code bindings} (all of one owner, matching it), by its policy. */
    public static Delivery of(long seq, Event e, String owner, Binding.AckPolicy policy, List<Binding> bindings,
                              long now) {
        List<Step> steps = new ArrayList<>();
        bindings.stream().sorted(Comparator.comparingInt(Binding::priority).reversed().thenComparing(Binding::id))
                .forEach(b -> steps.add(new Step(b.id(), b.priority(), StepState.PENDING, 0, now, null)));
        Delivery d = new Delivery(idOf(e, owner), seq, e, owner, policy, steps,
                policy == Binding.AckPolicy.BEFORE ? Ack.ACKED : Ack.PENDING, policy == Binding.AckPolicy.BEFORE ? now : 0,
                now);
        return d.settle(now);
    }

    /** Whether every handler is settled (the delivery needs nothing more). */
    public boolean done() {
        return steps.stream().allMatch(Step::settled);
    }

    /**
     * Returns the steps to attempt at {@code now}: under {@code ANY} the first pending one in priority order (only
     * once the ones before it failed), else every pending one; each only from its {@code nextAt}.
     */
    public List<Step> due(long now) {
        List<Step> out = new ArrayList<>();
        for (Step s : steps) {
            if (s.state() == StepState.PENDING) {
                if (s.nextAt() <= now) {
                    out.add(s);
                }
                if (policy == Binding.AckPolicy.ANY) {
                    break;
                }
            }
        }
        return out;
    }

    /**
     * Returns this delivery after an attempt of {@code binding}: a success settles it; a failure retries after the
     * backoff (doubled each time) until {@code maxAttempts}, then settles it failed. Then the ack follows the policy.
     */
    public Delivery attempted(String binding, boolean ok, String error, int maxAttempts, long backoffMs, long now) {
        List<Step> next = new ArrayList<>();
        for (Step s : steps) {
            if (!s.binding().equals(binding) || s.settled()) {
                next.add(s);
                continue;
            }
            int n = s.attempts() + 1;
            if (ok) {
                next.add(new Step(s.binding(), s.priority(), StepState.OK, n, s.nextAt(), s.lastError()));
            } else if (n >= maxAttempts) {
                next.add(new Step(s.binding(), s.priority(), StepState.FAILED, n, s.nextAt(), error));
            } else {
                long wait = backoffMs << Math.min(20, n - 1);
                next.add(new Step(s.binding(), s.priority(), StepState.PENDING, n, now + wait, error));
            }
        }
        return new Delivery(id, seq, event, owner, policy, next, ack, ackedAt, createdAt).settle(now);
    }

    /** Returns this delivery with {@code binding}'s step skipped (it was disabled or removed). */
    public Delivery skipped(String binding, long now) {
        List<Step> next = new ArrayList<>();
        for (Step s : steps) {
            next.add(s.binding().equals(binding) && !s.settled()
                    ? new Step(s.binding(), s.priority(), StepState.SKIPPED, s.attempts(), s.nextAt(), s.lastError()) : s);
        }
        return new Delivery(id, seq, event, owner, policy, next, ack, ackedAt, createdAt).settle(now);
    }

    /** Derives the acknowledgement from the steps, by the policy; under {@code ANY} a success skips the rest. */
    private Delivery settle(long now) {
        if (ack != Ack.PENDING) {
            return this;
        }
        List<Step> next = steps;
        Ack a = Ack.PENDING;
        switch (policy) {
            case ALL -> {
                if (steps.stream().anyMatch(s -> s.state() == StepState.FAILED)) {
                    a = Ack.FAILED;
                } else if (done()) {
                    a = Ack.ACKED;
                }
            }
            case ANY -> {
                if (steps.stream().anyMatch(s -> s.state() == StepState.OK)) {
                    a = Ack.ACKED;
                    next = steps.stream().map(s -> s.settled() ? s : new Step(s.binding(), s.priority(),
                            StepState.SKIPPED, s.attempts(), s.nextAt(), s.lastError())).toList();
                } else if (done()) {
                    a = Ack.FAILED;
                }
            }
            default -> a = Ack.ACKED;
        }
        return a == Ack.PENDING ? this : new Delivery(id, seq, event, owner, policy, next, a, now, createdAt);
    }
}
