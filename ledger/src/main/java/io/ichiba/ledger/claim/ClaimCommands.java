package io.ichiba.ledger.claim;

import io.ichiba.ledger.Command;
import io.ichiba.ledger.Rejection;
/**
 * The transitions of a claim, each atomic on the claim's key.
 *
 * <pre>
 *   QUEUED --Grant--> GRANTED --Release/Expire/Cancel/Preempt/LoseNode--> final, then returned
 *   QUEUED --Cancel--> CANCELLED (nothing held)
 * </pre>
 * A grant places every hold of the bundle and the {@code Grant} in one command of the engine: all or nothing.
 */
public final class ClaimCommands {
    private ClaimCommands() {
    }

    /** The answer of a claim transition: the claim afterwards, and a rejection if nothing happened. */
    public record Transition(Claim claim, Rejection rejection) implements java.io.Serializable {
        /** Whether the transition happened. */
        public boolean ok() {
            return rejection == null;
        }
    }

    private static Command.Outcome<Claim, Transition> missing() {
        return Command.Outcome.keep(new Transition(null, Rejection.of(Rejection.Code.NOT_FOUND, "no such claim")));
    }

    private static Command.Outcome<Claim, Transition> refuse(Claim c, Rejection.Code code, String detail) {
        return Command.Outcome.keep(new Transition(c, Rejection.of(code, detail)));
    }

    private static Command.Outcome<Claim, Transition> to(Claim next) {
        return Command.Outcome.write(next, new Transition(next, null));
    }

    /**
     * Grants a queued claim on {@code node} ({@code null}: it holds nothing node-local), once every hold of its bundle
     * is placed, in the same command.
     */
    public record Grant(String node, long now) implements Command<Claim, Transition> {
        @Override
        public Outcome<Claim, Transition> apply(Claim c) {
            if (c == null) {
                return missing();
            }
            if (c.state() != ClaimState.QUEUED) {
                return refuse(c, Rejection.Code.WRONG_STATE, "claim is " + c.state());
            }
            return to(c.grantedOn(node, now));
        }
    }

    /** Records why a queued claim waits; writes only when the reason changes or on the first look. */
    public record MarkWaiting(String why) implements Command<Claim, Transition> {
        @Override
        public Outcome<Claim, Transition> apply(Claim c) {
            if (c == null) {
                return missing();
            }
            if (c.state() != ClaimState.QUEUED || (c.considered() && java.util.Objects.equals(c.reason(), why))) {
                return Outcome.keep(new Transition(c, null));
            }
            return to(c.waiting(why));
        }
    }

    /** Extends a granted claim's lease to {@code now + seconds}; a lease already past its deadline expires. */
    public record Renew(long seconds, long now) implements Command<Claim, Transition> {
        @Override
        public Outcome<Claim, Transition> apply(Claim c) {
            if (c == null) {
                return missing();
            }
            if (c.state() != ClaimState.GRANTED) {
                return refuse(c, Rejection.Code.WRONG_STATE, "only a GRANTED claim can be renewed; it is "
                        + c.state());
            }
            if (now >= c.leaseExpiresAt()) {
                Claim expired = c.ended(ClaimState.EXPIRED, now, false);
                return Outcome.write(expired, new Transition(expired,
                        Rejection.of(Rejection.Code.LEASE_EXPIRED, "the lease had ended before the renewal")));
            }
            return to(c.renewed(now, seconds));
        }
    }

    /** Releases a granted claim; a claim already ended answers its final state unchanged. */
    public record Release(long now) implements Command<Claim, Transition> {
        @Override
        public Outcome<Claim, Transition> apply(Claim c) {
            if (c == null) {
                return missing();
            }
            if (c.state().isFinal()) {
                return Outcome.keep(new Transition(c, null));
            }
            if (c.state() != ClaimState.GRANTED) {
                return refuse(c, Rejection.Code.WRONG_STATE, "the claim is " + c.state()
                        + ": nothing to release (cancel a queued claim with DELETE)");
            }
            return to(c.ended(ClaimState.RELEASED, now, false));
        }
    }

    /**
     * Cancels a claim: a queued one ends at once (it holds nothing), a granted one ends and its holds return. An ended
     * claim is unchanged.
     */
    public record Cancel(long now) implements Command<Claim, Transition> {
        @Override
        public Outcome<Claim, Transition> apply(Claim c) {
            if (c == null) {
                return missing();
            }
            return switch (c.state()) {
                case QUEUED -> to(c.ended(ClaimState.CANCELLED, now, true));
                case GRANTED -> to(c.ended(ClaimState.CANCELLED, now, false));
                default -> Outcome.keep(new Transition(c, null));
            };
        }
    }

    /** Expires a granted claim whose lease deadline has passed. */
    public record Expire(long now) implements Command<Claim, Transition> {
        @Override
        public Outcome<Claim, Transition> apply(Claim c) {
            if (c == null) {
                return missing();
            }
            if (c.state() != ClaimState.GRANTED || now < c.leaseExpiresAt()) {
                return refuse(c, Rejection.Code.WRONG_STATE, "not due");
            }
            return to(c.ended(ClaimState.EXPIRED, now, false));
        }
    }

    /** Ends a granted claim whose node was lost: state {@code LOST}, reason {@code NODE_LOST}. */
    public record LoseNode(String node, long now) implements Command<Claim, Transition> {
        /** The reason a claim ended by node loss carries. */
        public static final String REASON = "NODE_LOST";

        @Override
        public Outcome<Claim, Transition> apply(Claim c) {
            if (c == null) {
                return missing();
            }
            if (c.state() != ClaimState.GRANTED || !node.equals(c.node())) {
                return refuse(c, Rejection.Code.WRONG_STATE, "not granted on " + node);
            }
            return to(c.ended(ClaimState.LOST, REASON, now, false));
        }
    }

    /**
     * Tells a granted claim it will be preempted at {@code at} (a recall's notice): reason {@code PREEMPT_NOTICE},
     * still granted. An earlier notice stands.
     */
    public record NoticePreempt(long at, long now) implements Command<Claim, Transition> {
        /** The reason a noticed claim carries while it still holds its tokens. */
        public static final String REASON = "PREEMPT_NOTICE";

        @Override
        public Outcome<Claim, Transition> apply(Claim c) {
            if (c == null) {
                return missing();
            }
            if (c.state() != ClaimState.GRANTED) {
                return refuse(c, Rejection.Code.WRONG_STATE, "not granted");
            }
            if (c.preemptAt() != 0 && c.preemptAt() <= at) {
                return Outcome.keep(new Transition(c, null));
            }
            return to(c.noticed(at, REASON, now));
        }
    }

    /** Preempts a granted claim: state {@code PREEMPTED} with {@code why}; its tokens are returned next. */
    public record Preempt(String why, long now) implements Command<Claim, Transition> {
        @Override
        public Outcome<Claim, Transition> apply(Claim c) {
            if (c == null) {
                return missing();
            }
            if (c.state() != ClaimState.GRANTED) {
                return refuse(c, Rejection.Code.WRONG_STATE, "not granted");
            }
            return to(c.ended(ClaimState.PREEMPTED, why, now, false));
        }
    }

    /** Records that every hold of an ended claim has been returned. */
    public record MarkReturned() implements Command<Claim, Transition> {
        @Override
        public Outcome<Claim, Transition> apply(Claim c) {
            if (c == null) {
                return missing();
            }
            if (!c.state().isFinal() || c.returned()) {
                return Outcome.keep(new Transition(c, null));
            }
            return to(c.withReturned());
        }
    }

    /** Removes an ended, fully returned claim that ended before {@code cutoff}. */
    public record Purge(long cutoff) implements Command<Claim, Boolean> {
        @Override
        public Outcome<Claim, Boolean> apply(Claim c) {
            if (c != null && c.state().isFinal() && c.returned() && c.endedAt() < cutoff && !c.outbox().hasPending()) {
                return Outcome.write(null, true);
            }
            return Outcome.keep(false);
        }
    }
}
