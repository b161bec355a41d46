package io.ichiba.ledger;

import io.ichiba.ledger.Rejection.Code;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admission loop's order and fairness (DESIGN.md section 5, "Claim"): priority first, then age, with aging;
 * backfill of smaller claims past a larger one that does not fit; and no starvation: a claim that has waited past
 * {@link LedgerSettings#starvationMillis()} stops backfill on its pools and is granted once the holders it waits
 * for end. Run against each {@link Store} like {@link StoreContractTest} (a subclass supplies an empty store).
 */
public abstract class AdmissionFairnessTest {
    private static final long STEP_MILLIS = 5_000;
    private static final long SMALL = 100;
    private static final long SMALL_LEASE_SECONDS = 60;

    private MutableClock clock;
    private Store store;
    private Ledger ledger;
    private Admission admission;
    private LeaseReaper reaper;

    /** Returns an empty store of the kind under test. */
    protected abstract Store createStore();

    private void world(LedgerSettings settings) {
        clock = new MutableClock();
        store = createStore();
        ledger = new Ledger(store, clock, settings);
        admission = new Admission(ledger);
        reaper = new LeaseReaper(ledger);
        assertThat(ledger.createTenant("batch", Map.of("memory", 1_000_000L, "disk", 1_000_000L)).ok()).isTrue();
        assertThat(ledger.report("n1", Map.of("memory", 1000L, "disk", 1000L), Map.of()).ok()).isTrue();
    }

    private void submit(String id, long memory, int priority) {
        submit(id, Map.of("memory", memory), priority, SMALL_LEASE_SECONDS);
    }

    private void submit(String id, Map<String, Long> amounts, int priority, long leaseSeconds) {
        Result<Claim> r = ledger.submit(ClaimRequest.of(id, "batch", Bundle.of(amounts, List.of()), priority,
                leaseSeconds, null));
        assertThat(r.rejection()).as("submit %s", id).isNull();
    }

    private List<String> pass() {
        List<String> granted = admission.pass().granted().stream().map(Claim::id).toList();
        LedgerInvariants.check(store);
        return granted;
    }

    private ClaimState state(String id) {
        return ledger.claim(id).state();
    }

    // ------------------------------------------------------------------------------------------------ order

    @Nested
    class QueueOrder {
        @Test
        void higherPriorityGoesFirst() {
            world(LedgerSettings.defaults());
            submit("low", 600, 0);
            clock.advance(Duration.ofSeconds(1));
            submit("high", 600, 5);
            assertThat(admission.queue(clock.millis())).extracting(Claim::id).containsExactly("high", "low");
            assertThat(pass()).containsExactly("high");
            assertThat(ledger.claim("low").reason()).isEqualTo(Code.INSUFFICIENT_CAPACITY.name());
        }

        @Test
        void olderGoesFirstAtEqualPriorityThenTheSmallerId() {
            world(LedgerSettings.defaults());
            submit("b", 600, 0);
            submit("a", 600, 0);
            clock.advance(Duration.ofSeconds(1));
            submit("0-newest", 600, 0);
            assertThat(admission.queue(clock.millis())).extracting(Claim::id).containsExactly("a", "b", "0-newest");
            assertThat(pass()).containsExactly("a");
        }

        @Test
        void agingLiftsAWaitingClaimPastNewerHigherPriorityOnes() {
            LedgerSettings s = LedgerSettings.defaults();
            world(s);
            submit("old", 600, 0);
            Claim old = ledger.claim("old");
            long t0 = old.createdAt();
            assertThat(Admission.effectivePriority(old, t0, s.agingMillisPerPriority())).isZero();
            assertThat(Admission.effectivePriority(old, t0 + 25_000, 10_000)).isEqualTo(2);
            assertThat(Admission.effectivePriority(old, t0 - 5_000, 10_000)).as("no negative aging").isZero();

            clock.advance(Duration.ofSeconds(10));
            submit("p2-early", 600, 2);
            assertThat(admission.queue(clock.millis())).as("old has aged to 1 < 2")
                    .extracting(Claim::id).containsExactly("p2-early", "old");

            clock.advance(Duration.ofSeconds(20));
            submit("p2-late", 600, 2);
            long now = clock.millis();
            assertThat(Admission.effectivePriority(ledger.claim("old"), now, s.agingMillisPerPriority())).isEqualTo(3);
            assertThat(Admission.effectivePriority(ledger.claim("p2-early"), now, s.agingMillisPerPriority()))
                    .as("claims age alike: an earlier higher priority stays ahead").isEqualTo(4);
            assertThat(admission.queue(now)).as("old (3) now goes before the newer p2-late (2)")
                    .extracting(Claim::id).containsExactly("p2-early", "old", "p2-late");
            assertThat(pass()).containsExactly("p2-early");
            assertThat(ledger.release("p2-early").ok()).isTrue();
            assertThat(pass()).containsExactly("old");
            assertThat(ledger.claim("p2-late").state()).isEqualTo(ClaimState.QUEUED);
        }

        @Test
        void smallerClaimBackfillsPastALargerOneThatDoesNotFit() {
            world(LedgerSettings.defaults());
            submit("half", 500, 0);
            assertThat(pass()).containsExactly("half");
            submit("large", 800, 0);
            clock.advance(Duration.ofSeconds(1));
            submit("small", 300, 0);
            assertThat(pass()).containsExactly("small");
            assertThat(ledger.claim("large").reason()).isEqualTo(Code.INSUFFICIENT_CAPACITY.name());

            // past the starvation bound the large claim stops backfill on memory
            clock.advanceMillis(ledger.settings().starvationMillis());
            submit("small2", 100, 0);
            assertThat(pass()).isEmpty();
            assertThat(ledger.claim("small2").reason()).isEqualTo(Code.BACKFILL_BLOCKED.name());

            // but not on kinds it does not ask for
            submit("disk-only", Map.of("disk", 100L), 0, SMALL_LEASE_SECONDS);
            assertThat(pass()).containsExactly("disk-only");

            assertThat(ledger.release("half").ok()).isTrue();
            assertThat(ledger.release("small").ok()).isTrue();
            assertThat(pass()).as("once granted, the large claim reserves nothing: small2 fits behind it")
                    .containsExactly("large", "small2");
        }

        /**
         * Issue 13, defect 13: thousands of claims waiting past the bound for a held lock (each also asking a little
         * memory) kept a small claim for memory queued on a node with room to spare. A starving claim keeps only what
         * it lacks: the lock, not the memory it would find.
         */
        @Test
        void starvingClaimsWaitingForALockDoNotKeepTheMemoryTheyWouldFind() {
            world(LedgerSettings.defaults());
            assertThat(ledger.createLock("L", 1).ok()).isTrue();
            assertThat(ledger.submit(ClaimRequest.of("holder", "batch", Bundle.of(Map.of(), List.of("L")), 0, 3600,
                    null)).ok())
                    .isTrue();
            assertThat(pass()).containsExactly("holder");
            for (int i = 0; i < 200; i++) {
                assertThat(ledger.submit(ClaimRequest.of("w" + i, "batch", Bundle.of(Map.of("memory", 1L),
                        List.of("L")), 0, 3600, null)).ok()).isTrue();
            }
            clock.advanceMillis(ledger.settings().starvationMillis() + 1);
            assertThat(pass()).isEmpty();
            assertThat(ledger.claim("w0").reason()).isEqualTo(Code.LOCK_HELD.name());

            submit("small", 1, 0);
            assertThat(pass()).as("it takes nothing a starving claim lacks").containsExactly("small");
            assertThat(ledger.submit(ClaimRequest.of("other-lock-user", "batch", Bundle.of(Map.of(), List.of("L")),
                    0, 60, null))
                    .ok()).isTrue();
            assertThat(pass()).isEmpty();

            assertThat(ledger.release("holder").ok()).isTrue();
            assertThat(pass()).as("the oldest starving claim gets the lock first").containsExactly("w0");
        }

        @Test
        void claimWaitingForQuotaDoesNotBlockBackfill() {
            world(LedgerSettings.defaults());
            assertThat(ledger.createTenant("poor", Map.of("memory", 600L)).ok()).isTrue();
            assertThat(ledger.submit(ClaimRequest.of("p1", "poor", Bundle.of(Map.of("memory", 400L), List.of()), 0,
                    600, null)).ok())
                    .isTrue();
            assertThat(pass()).containsExactly("p1");
            assertThat(ledger.submit(ClaimRequest.of("p2", "poor", Bundle.of(Map.of("memory", 400L), List.of()), 0,
                    600, null)).ok())
                    .isTrue();
            assertThat(pass()).isEmpty();
            assertThat(ledger.claim("p2").reason()).isEqualTo(Code.QUOTA.name());

            clock.advanceMillis(ledger.settings().starvationMillis() + 1);
            submit("other", 300, 0);
            assertThat(pass()).as("a claim short of quota would not be helped by blocking others")
                    .containsExactly("other");
        }
    }

    // ------------------------------------------------------------------------------------------------ starvation

    /**
     * Runs the steady stream: the node starts with eight small grants; a claim for the whole node arrives; each step
     * releases the oldest small grant, submits two new small claims, moves the clock by five seconds, sweeps and runs
     * a pass. Answers the millis the large claim waited until granted, or -1 if it was not within {@code maxSteps}.
     */
    private long runStream(int maxSteps, long[] backfilledBeforeBound) {
        Deque<String> granted = new ArrayDeque<>();
        int next = 0;
        for (int i = 0; i < 8; i++) {
            submit("s" + next++, SMALL, 0);
        }
        granted.addAll(pass());
        assertThat(granted).hasSize(8);
        clock.advance(Duration.ofSeconds(1));
        submit("large", 1000, 0);
        long since = ledger.claim("large").createdAt();

        for (int step = 0; step < maxSteps; step++) {
            String oldest = granted.pollFirst();
            if (oldest != null) {
                assertThat(ledger.release(oldest).ok()).isTrue();
            }
            submit("s" + next++, SMALL, 0);
            submit("s" + next++, SMALL, 0);
            clock.advanceMillis(STEP_MILLIS);
            reaper.sweep();
            granted.removeIf(id -> state(id) != ClaimState.GRANTED);
            List<String> now = pass();
            if (now.contains("large")) {
                assertThat(state("large")).isEqualTo(ClaimState.GRANTED);
                return ledger.claim("large").grantedAt() - since;
            }
            if (clock.millis() - since < ledger.settings().starvationMillis()) {
                backfilledBeforeBound[0] += now.size();
            } else {
                assertThat(now).as("no backfill on memory once the large claim has waited past the bound").isEmpty();
            }
            granted.addAll(now);
            assertThat(state("large")).isEqualTo(ClaimState.QUEUED);
        }
        return -1;
    }

    @Test
    void largeClaimIsGrantedWithinTheStarvationBoundWhileSmallOnesKeepArriving() {
        LedgerSettings s = LedgerSettings.defaults();
        world(s);
        // every holder the large claim waits for ends within its lease, and a step may pass before the next look
        long bound = s.starvationMillis() + SMALL_LEASE_SECONDS * 1000 + STEP_MILLIS;
        long[] backfilled = {0};

        long waited = runStream(100, backfilled);

        assertThat(waited).as("the large claim is granted").isNotNegative();
        assertThat(waited).as("within starvationMillis + small lease + one step").isLessThanOrEqualTo(bound);
        assertThat(waited).as("the stream kept the node busy until the bound").isGreaterThanOrEqualTo(s.starvationMillis());
        assertThat(backfilled[0]).as("small claims were backfilled while the large one waited").isPositive();
        assertThat(ledger.pool("memory@n1").granted()).isEqualTo(1000);
        assertThat(new Auditor(ledger).audit().ok()).isTrue();
    }

    @Test
    void withoutTheStarvationBoundTheSameStreamStarvesTheLargeClaim() {
        LedgerSettings d = LedgerSettings.defaults();
        // the baseline: a bound longer than the run, so backfill never stops
        LedgerSettings s = new LedgerSettings(d.agingMillisPerPriority(), 86_400_000,
                d.retentionMillis(), d.maxLeaseSeconds());
        world(s);
        long bound = d.starvationMillis() + SMALL_LEASE_SECONDS * 1000 + STEP_MILLIS;
        int steps = (int) (2 * bound / STEP_MILLIS);
        long[] backfilled = {0};

        assertThat(runStream(steps, backfilled)).as("never granted in twice the bound").isEqualTo(-1);
        assertThat(backfilled[0]).isGreaterThanOrEqualTo(steps - 1);
        assertThat(new Auditor(ledger).audit().ok()).isTrue();
    }
}
