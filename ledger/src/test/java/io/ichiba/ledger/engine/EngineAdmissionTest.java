package io.ichiba.ledger.engine;

import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.MutableClock;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Admission on the engine without walking the queue (issue 13: "a claim that fits is granted as fast with 100 000
 * claims queued as with 10"): a claim that fits is granted by the command that queues it when nothing changed since
 * the last pass ({@link Admission#admit}), and a pass when nothing changed is skipped. Neither may change what a
 * pass would decide: a new claim never overtakes a claim that a release let in, never takes what a starving claim
 * lacks, and never goes ahead once a queued claim starts to starve.
 */
class EngineAdmissionTest {
    private static final long STARVATION = 60_000;
    private MutableClock clock;
    private Store store;
    private Ledger ledger;
    private Admission admission;

    @AfterAll
    static void closeEngines() {
        Engines.closeAll();
    }

    @BeforeEach
    void setUp() {
        clock = new MutableClock();
        store = Engines.started(new InMemoryJournal());
        ledger = new Ledger(store, clock, new LedgerSettings(10_000, STARVATION, 3_600_000, 86_400, 0));
        admission = new Admission(ledger);
        assertThat(ledger.createTenant("t", Map.of("memory", 1_000_000L)).ok()).isTrue();
        assertThat(ledger.report("n1", Map.of("memory", 10L), Map.of()).ok()).isTrue();
        assertThat(ledger.createLock("blocker", 1).ok()).isTrue();
    }

    private static Bundle mem(long mib) {
        return Bundle.of(Map.of("memory", mib), List.of());
    }

    private void submit(String id, Bundle b) {
        Result<Claim> r = ledger.submit(ClaimRequest.of(id, "t", b, 1, 600, null));
        assertThat(r.rejection()).as(id).isNull();
    }

    /** What the broker's intake does on the engine: the submission and its admission, one command. */
    private Admission.Pass intake(String id, Bundle b) {
        return store.atomically(() -> {
            submit(id, b);
            return admission.admit(id);
        });
    }

    private Admission.Pass pass() {
        return store.atomically(admission::pass);
    }

    private ClaimState state(String id) {
        return ledger.claim(id).state();
    }

    @Test
    void aClaimThatFitsIsGrantedByItsOwnSubmissionBehindAThousandBlockedClaims() {
        submit("holder", Bundle.of(Map.of(), List.of("blocker")));
        pass();
        for (int i = 0; i < 1000; i++) {
            submit("blocked-" + i, Bundle.of(Map.of(), List.of("blocker")));
        }
        assertThat(pass().considered()).isEqualTo(1000);

        Admission.Pass probe = intake("probe", mem(1));
        assertThat(state("probe")).isEqualTo(ClaimState.GRANTED);
        assertThat(probe.considered()).as("the probe alone was looked at").isEqualTo(1);
        assertThat(ledger.claim("blocked-999").reason()).isEqualTo("LOCK_HELD");
        Admission.Pass after = pass();
        assertThat(after.kind()).as("what the probe took may change why others wait: a pass over those it concerns")
                .isEqualTo(Admission.Pass.Kind.PARTIAL);
        assertThat(after.considered()).as("the blocked claims need the lock only: none is looked at again").isZero();
        assertThat(pass().kind()).as("nothing changed since: the pass is skipped")
                .isEqualTo(Admission.Pass.Kind.SKIPPED);

        Admission.Pass tooBig = intake("too-big", mem(10));
        assertThat(tooBig.considered()).isEqualTo(1);
        assertThat(ledger.claim("too-big").reason()).as("marked waiting by its own submission")
                .isEqualTo("INSUFFICIENT_CAPACITY");

        assertThat(ledger.release("probe").ok()).isTrue();
        Admission.Pass released = pass();
        assertThat(released.kind()).isEqualTo(Admission.Pass.Kind.PARTIAL);
        assertThat(released.considered()).as("the release gave back memory: the claim that needs it").isEqualTo(1);
        assertThat(state("too-big")).isEqualTo(ClaimState.GRANTED);

        assertThat(ledger.release("holder").ok()).isTrue();
        Admission.Pass lock = pass();
        assertThat(lock.kind()).isEqualTo(Admission.Pass.Kind.PARTIAL);
        assertThat(lock.considered()).as("the lock is free: every claim that needs it").isEqualTo(1000);
        assertThat(lock.granted()).extracting(Claim::id).containsExactly("blocked-0");
        assertThat(ledger.claim("blocked-1").reason()).isEqualTo("LOCK_HELD");
    }

    @Test
    void aClaimThatFitsIsGrantedByItsOwnSubmissionAfterChangesAPassHasNotSeen() {
        submit("holder", Bundle.of(Map.of(), List.of("blocker")));
        submit("blocked", Bundle.of(Map.of(), List.of("blocker")));
        submit("a", mem(2));
        pass();
        pass(); // what the first pass's grants took, seen: the blocked claim again
        assertThat(ledger.release("a").ok()).as("a change no pass has seen").isTrue();

        Admission.Pass b = intake("b", mem(2));
        assertThat(b.kind()).as("a partial pass in the submission's command").isEqualTo(Admission.Pass.Kind.PARTIAL);
        assertThat(state("b")).isEqualTo(ClaimState.GRANTED);
        assertThat(b.considered()).as("the blocked claim needs none of what changed").isEqualTo(1);
        assertThat(pass().kind()).as("the loop's next pass has nothing to do").isEqualTo(Admission.Pass.Kind.PARTIAL);
    }

    @Test
    void aClaimStarvingMakesEveryPassAFullOne() {
        submit("holder", Bundle.of(Map.of(), List.of("blocker")));
        pass();
        submit("starving", Bundle.of(Map.of(), List.of("blocker")));
        pass();
        clock.advanceMillis(ledger.settings().starvationMillis());
        assertThat(pass().kind()).as("time passed: a full pass finds it starving").isEqualTo(Admission.Pass.Kind.FULL);
        intake("small", mem(1));
        assertThat(state("small")).as("it takes nothing the starving claim lacks").isEqualTo(ClaimState.GRANTED);
        assertThat(ledger.release("small").ok()).isTrue();
        assertThat(pass().kind()).as("what a starving claim keeps back depends on every claim before it")
                .isEqualTo(Admission.Pass.Kind.FULL);
    }

    @Test
    void aNewClaimNeverOvertakesAClaimThatAReleaseLetIn() {
        submit("a", mem(8));
        pass();
        submit("b", mem(8));
        pass();
        assertThat(state("b")).isEqualTo(ClaimState.QUEUED);
        assertThat(ledger.release("a").ok()).isTrue(); // b fits now; no pass has seen it

        intake("newer", mem(8));
        assertThat(state("newer")).as("not granted ahead of b").isEqualTo(ClaimState.QUEUED);
        pass();
        assertThat(state("b")).isEqualTo(ClaimState.GRANTED);
        assertThat(state("newer")).isEqualTo(ClaimState.QUEUED);
    }

    @Test
    void aNewClaimNeverTakesWhatAStarvingClaimLacks() {
        submit("a", mem(8));
        pass();
        submit("b", mem(8)); // waits for a's 8
        pass();
        clock.advanceMillis(STARVATION + 1);
        pass(); // b starves: memory on n1 is kept for it

        intake("small", mem(2)); // fits in the 2 left, but takes what b lacks
        assertThat(state("small")).isEqualTo(ClaimState.QUEUED);
        pass();
        assertThat(state("small")).isEqualTo(ClaimState.QUEUED);
        assertThat(ledger.claim("small").reason()).isEqualTo("BACKFILL_BLOCKED");
    }

    @Test
    void oncePastTheTimeAQueuedClaimStartsToStarveTheNextClaimWaitsForAPass() {
        submit("a", mem(8));
        pass();
        submit("b", mem(8));
        clock.advanceMillis(STARVATION - 500);
        pass(); // b is not starving yet: it will be in 500 ms
        clock.advanceMillis(600);

        intake("small", mem(2));
        assertThat(state("small")).as("b starves now: a pass must decide").isEqualTo(ClaimState.QUEUED);
        pass();
        assertThat(ledger.claim("small").reason()).isEqualTo("BACKFILL_BLOCKED");
    }
}
