package io.ichiba.ledger;

import io.ichiba.ledger.Rejection.Code;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimCommands;
import io.ichiba.ledger.claim.ClaimCommands.Transition;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.pool.Amounts;
import io.ichiba.ledger.pool.Hold;
import io.ichiba.ledger.pool.Holdings;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.PlaceCommands;
import io.ichiba.ledger.tenant.TenantState;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The pure parts of the ledger on their own: records that validate themselves, holdings keyed by claim and
 * attempt, and each claim transition, with the time passed in (no store, no clock).
 */
class LedgerRecordsTest {
    private static final long T0 = 1_000_000;

    private static Bundle memory(long mib, String... locks) {
        return Bundle.of(Map.of("memory", mib), List.of(locks));
    }

    private static Claim queued() {
        return Claim.queued("c1", "acme", memory(100, "db"), 0, 60, null, T0, null);
    }

    private static <R> R run(Command<Claim, R> cmd, Claim c) {
        return cmd.apply(c).result();
    }

    private static Claim after(Command<Claim, Transition> cmd, Claim c) {
        Command.Outcome<Claim, Transition> o = cmd.apply(c);
        return o.write() ? o.next() : c;
    }

    private static Claim granted() {
        return after(new ClaimCommands.Grant("n1", T0), queued());
    }

    @Nested
    class Records {
        @Test
        void bundleRejectsEmptyDuplicatedOrOutOfRangeRequests() {
            assertThatThrownBy(() -> Bundle.of(Map.of(), List.of())).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Bundle.of(Map.of("memory", 1L), List.of("db", "db")))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Bundle.of(Map.of("memory", -1L), List.of()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Bundle.of(Map.of("memory", Amounts.MAX_AMOUNT + 1), List.of()))
                    .isInstanceOf(IllegalArgumentException.class);
            Bundle b = Bundle.of(Map.of("memory", 5L, "disk", 0L), List.of("z", "a"));
            assertThat(b.amounts()).containsExactly(Map.entry("memory", 5L));
            assertThat(b.locks()).containsExactly("a", "z");
            assertThat(Bundle.of(Map.of(), List.of("a")).nodeLocal()).isFalse();
        }

        @Test
        void settingsAndLocksAndQuotasValidateThemselves() {
            assertThatThrownBy(() -> new LedgerSettings(0, 1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new LedgerSettings(1, -1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new LockState("db", 0, null)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new TenantState("t", new TreeMap<>(Map.of("memory", -1L)), null, 0))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class HoldingsByClaim {
        @Test
        void holdingTwiceReplacesAndReturningTwiceReturnsNothing() {
            Holdings h = Holdings.empty().with("a", new Hold(Amounts.of(Map.of("memory", 100L))))
                    .with("b", new Hold(Amounts.of(Map.of("memory", 50L, "disk", 10L))));
            assertThat(h.granted("memory")).isEqualTo(150);
            assertThat(h.totals()).containsExactly(Map.entry("disk", 10L), Map.entry("memory", 150L));
            Holdings again = h.with("a", new Hold(Amounts.of(Map.of("memory", 100L))));
            assertThat(again.granted("memory")).as("holding again replaces").isEqualTo(150);

            Holdings once = h.without("a");
            assertThat(once.granted("memory")).isEqualTo(50);
            assertThat(once.without("a")).isSameAs(once);
        }

        @Test
        void returnForReturnsOnceAndThenChangesNothing() {
            LockState l = new LockState("db", 1, Holdings.empty().with("a", new Hold(LockState.onePermit())));
            Command.Outcome<LockState, Boolean> o = new PlaceCommands.ReturnFor<LockState>("a").apply(l);
            assertThat(o.result()).isTrue();
            Command.Outcome<LockState, Boolean> again = new PlaceCommands.ReturnFor<LockState>("a").apply(o.next());
            assertThat(again.write()).isFalse();
            assertThat(again.result()).isFalse();
        }

        @Test
        void placesRefuseWhatDoesNotFit() {
            NodeState n = new NodeState("n1", Amounts.of(Map.of("memory", 100L)), null, 0,
                    Holdings.empty().with("a", new Hold(Amounts.of(Map.of("memory", 80L)))));
            assertThat(n.checkHold("b", Amounts.of(Map.of("memory", 20L)))).isNull();
            assertThat(n.checkHold("b", Amounts.of(Map.of("memory", 21L))).code()).isEqualTo(Code.INSUFFICIENT_CAPACITY);
            assertThat(n.checkHold("a", Amounts.of(Map.of("memory", 100L)))).as("a's own hold is replaced").isNull();
            NodeState lowered = n.report(Amounts.of(Map.of("memory", 50L)), Amounts.none(), 5);
            assertThat(lowered.overcommitted("memory")).isTrue();
            assertThat(lowered.free("memory")).isZero();
            assertThat(lowered.checkHold("b", Amounts.of(Map.of("memory", 1L))).code()).isEqualTo(Code.OVERCOMMITTED);

            LockState l = new LockState("db", 1, Holdings.empty().with("a", new Hold(LockState.onePermit())));
            assertThat(l.checkHold("b", LockState.onePermit()).code()).isEqualTo(Code.LOCK_HELD);
            TenantState t = new TenantState("acme", Amounts.of(Map.of("memory", 100L)),
                    Holdings.empty().with("a", new Hold(Amounts.of(Map.of("memory", 60L)))), 0);
            assertThat(t.checkHold("b", Amounts.of(Map.of("memory", 41L))).code()).isEqualTo(Code.QUOTA);
            assertThat(t.checkHold("b", Amounts.of(Map.of("disk", 1L))).code()).as("no quota is quota zero")
                    .isEqualTo(Code.QUOTA);
        }
    }

    @Nested
    class ClaimTransitions {
        @Test
        void onlyAQueuedClaimIsGrantedAndOnce() {
            Claim c = queued();
            Claim g = after(new ClaimCommands.Grant("n1", T0 + 7), c);
            assertThat(g.state()).isEqualTo(ClaimState.GRANTED);
            assertThat(g.node()).isEqualTo("n1");
            assertThat(g.leaseExpiresAt()).isEqualTo(T0 + 7 + 60_000);
            assertThat(run(new ClaimCommands.Grant("n1", T0), g).rejection().code()).as("granted once")
                    .isEqualTo(Code.WRONG_STATE);
            Claim cancelled = after(new ClaimCommands.Cancel(T0 + 8), c);
            assertThat(cancelled.state()).isEqualTo(ClaimState.CANCELLED);
            assertThat(cancelled.returned()).as("a queued claim holds nothing").isTrue();
            assertThat(run(new ClaimCommands.Grant("n1", T0), cancelled).ok()).isFalse();
        }

        @Test
        void expiryHappensAtTheDeadlineAndNotBefore() {
            Claim g = granted();
            long deadline = g.leaseExpiresAt();
            assertThat(new ClaimFilters.LeaseDue(deadline - 1).test(g)).isFalse();
            assertThat(new ClaimFilters.LeaseDue(deadline).test(g)).isTrue();
            assertThat(run(new ClaimCommands.Expire(deadline - 1), g).ok()).isFalse();
            Claim e = after(new ClaimCommands.Expire(deadline), g);
            assertThat(e.state()).isEqualTo(ClaimState.EXPIRED);
            assertThat(e.endedAt()).isEqualTo(deadline);
            assertThat(e.returned()).isFalse();
            assertThat(run(new ClaimCommands.Expire(deadline + 1), e).ok()).as("expires once").isFalse();
        }

        @Test
        void renewBeforeTheDeadlineExtendsAndAtTheDeadlineExpires() {
            Claim g = granted();
            long deadline = g.leaseExpiresAt();
            Claim r = after(new ClaimCommands.Renew(30, deadline - 1), g);
            assertThat(r.leaseExpiresAt()).isEqualTo(deadline - 1 + 30_000);
            assertThat(r.leaseSeconds()).isEqualTo(30);
            Transition late = run(new ClaimCommands.Renew(30, deadline), g);
            assertThat(late.rejection().code()).isEqualTo(Code.LEASE_EXPIRED);
            assertThat(late.claim().state()).isEqualTo(ClaimState.EXPIRED);
            assertThat(run(new ClaimCommands.Renew(30, T0), queued()).rejection().code()).isEqualTo(Code.WRONG_STATE);
        }

        @Test
        void endingsHappenOnceAndFinalStatesStay() {
            Claim g = granted();
            Claim released = after(new ClaimCommands.Release(T0 + 9), g);
            assertThat(released.state()).isEqualTo(ClaimState.RELEASED);
            assertThat(released.returned()).isFalse();
            assertThat(new ClaimCommands.Release(T0 + 10).apply(released).write()).isFalse();
            assertThat(new ClaimCommands.Cancel(T0 + 10).apply(released).write()).isFalse();
            Claim returned = after(new ClaimCommands.MarkReturned(), released);
            assertThat(returned.returned()).isTrue();
            assertThat(new ClaimCommands.MarkReturned().apply(returned).write()).isFalse();
            assertThat(run(new ClaimCommands.Release(T0), queued()).rejection().code()).isEqualTo(Code.WRONG_STATE);
            Claim cancelledQueued = after(new ClaimCommands.Cancel(T0), queued());
            assertThat(cancelledQueued.state()).isEqualTo(ClaimState.CANCELLED);
            assertThat(cancelledQueued.returned()).isTrue();
        }

        @Test
        void markWaitingWritesOnlyWhenTheReasonChanges() {
            Claim c = queued();
            Command.Outcome<Claim, Transition> first = new ClaimCommands.MarkWaiting("LOCK_HELD").apply(c);
            assertThat(first.write()).isTrue();
            assertThat(first.next().considered()).isTrue();
            assertThat(new ClaimCommands.MarkWaiting("LOCK_HELD").apply(first.next()).write()).isFalse();
            assertThat(new ClaimCommands.MarkWaiting("QUOTA").apply(first.next()).write()).isTrue();
            assertThat(new ClaimCommands.MarkWaiting("X").apply(granted()).write()).isFalse();
        }

        @Test
        void purgeRemovesOnlyReturnedClaimsThatEndedBeforeTheCutoff() {
            Claim released = after(new ClaimCommands.Release(T0 + 9), granted());
            assertThat(run(new ClaimCommands.Purge(T0 + 100), released)).as("not returned yet").isFalse();
            Claim returned = after(new ClaimCommands.MarkReturned(), released);
            assertThat(run(new ClaimCommands.Purge(T0 + 9), returned)).isFalse();
            assertThat(run(new ClaimCommands.Purge(T0 + 10), returned)).as("its events are not in the log yet")
                    .isFalse();
            Claim relayed = returned.withOutbox(returned.outbox().acknowledge(Long.MAX_VALUE));
            Command.Outcome<Claim, Boolean> o = new ClaimCommands.Purge(T0 + 10).apply(relayed);
            assertThat(o.result()).isTrue();
            assertThat(o.write()).isTrue();
            assertThat(o.next()).isNull();
            assertThat(run(new ClaimCommands.Purge(Long.MAX_VALUE), queued())).isFalse();
        }
    }

    @Nested
    class PlacementOnASnapshot {
        @Test
        void checksQuotaThenLocksThenNodesAndPicksTheBestFit() {
            Claim c = queued();
            TenantState t = new TenantState("acme", Amounts.of(Map.of("memory", 1000L)), null, 0);
            Map<String, NodeState> nodes = Map.of(
                    "n1", new NodeState("n1", Amounts.of(Map.of("memory", 500L)), null, 0, null),
                    "n2", new NodeState("n2", Amounts.of(Map.of("memory", 150L)), null, 0, null),
                    "n3", new NodeState("n3", Amounts.of(Map.of("memory", 50L)), null, 0, null));
            LockState free = new LockState("db", 1, null);
            LockState held = new LockState("db", 1, Holdings.empty().with("x", new Hold(LockState.onePermit())));

            assertThat(Placement.choose(c, t, nodes, Map.of("db", free)).node()).isEqualTo("n2");
            assertThat(Placement.choose(c, t, nodes, Map.of("db", held)).why().code()).isEqualTo(Code.LOCK_HELD);
            assertThat(Placement.choose(c, t, nodes, Map.of()).why().code()).isEqualTo(Code.NO_SUCH_LOCK);
            TenantState poor = new TenantState("acme", Amounts.of(Map.of("memory", 99L)), null, 0);
            assertThat(Placement.choose(c, poor, nodes, Map.of("db", held)).why().code())
                    .as("quota is checked first").isEqualTo(Code.QUOTA);
            assertThat(Placement.choose(c, t, Map.of(), Map.of("db", free)).why().code())
                    .isEqualTo(Code.INSUFFICIENT_CAPACITY);
            assertThat(Placement.choose(c, null, nodes, Map.of("db", free)).why().code()).isEqualTo(Code.NOT_FOUND);
        }
    }
}
