package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.MutableClock;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.engine.EngineListener;
import io.ichiba.ledger.engine.EngineStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Operations sent as values: a whole operation of the ledger asked on a member that does not run the engine runs on
 * the engine's member, on its thread, against that member's ledger, as one command: all of its changes or none.
 */
class EngineOperationsTest {
    private static List<HazelcastInstance> members;
    private static List<EngineStore> stores;
    private static Ledger remote;
    private static Ledger local;
    private static HazelcastInstance elsewhere;

    @BeforeAll
    static void start() {
        members = EmbeddedHazelcast.startCluster(EngineOperationsTest.class, 6011, 2);
        stores = members.stream().map(m -> HazelcastEngine.store(m, EngineListener.NONE, j -> j)).toList();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> stores.stream().filter(s -> s.engine().active()).count() == 1);
        int engine = stores.get(0).engine().active() ? 0 : 1;
        MutableClock clock = new MutableClock();
        local = new Ledger(stores.get(engine), clock, LedgerSettings.defaults());
        remote = new Ledger(stores.get(1 - engine), clock, LedgerSettings.defaults());
        elsewhere = members.get(1 - engine);
    }

    @AfterAll
    static void stop() {
        stores.forEach(EngineStore::close);
        EmbeddedHazelcast.stop(members);
    }

    @Test
    void anOperationAskedElsewhereRunsOnTheEngineThreadAgainstItsMembersLedger() {
        String thread = remote.atomically(l -> Thread.currentThread().getName());
        assertThat(thread).startsWith("ichiba-engine");
        boolean onItsLedger = remote.atomically(l -> l == local);
        assertThat(onItsLedger).as("the engine member's own ledger").isTrue();
    }

    @Test
    void anOperationThatFailsHalfwayChangesNothingAndItsErrorReachesTheCaller() {
        assertThatThrownBy(() -> remote.atomically(l -> {
            assertThat(l.defineKind("gpu", "cards").ok()).isTrue();
            assertThat(l.isKind("gpu")).as("seen within the operation").isTrue();
            throw new IllegalStateException("halfway");
        })).isInstanceOf(IllegalStateException.class).hasMessage("halfway");
        assertThat(remote.isKind("gpu")).isFalse();
        assertThat(local.isKind("gpu")).isFalse();
        assertThat(remote.defineKind("gpu", "cards").ok()).as("nothing left behind").isTrue();
    }

    @Test
    void aTenantCreatedFromAnotherMemberHasItsAccountInTheSameChange() {
        assertThat(remote.createTenant("acme", Map.of("memory", 10L)).ok()).isTrue();
        assertThat(remote.accounts().account(io.ichiba.ledger.credit.Account.ofTenant("acme"))).isNotNull();
        assertThat(remote.setLimits("acme", 50L, Map.of("memory", 5L)).ok()).isTrue();
        assertThat(remote.setLimits("acme", -1L, Map.of("memory", 7L)).ok()).as("both or neither").isFalse();
        assertThat(remote.store().tenants().get("acme").lendingLimit()).containsEntry("memory", 5L);
        assertThat(remote.accounts().account(io.ichiba.ledger.credit.Account.ofTenant("acme")).creditLimit()).isEqualTo(50L);
    }

    /**
     * Issue 13, defect 6: an operation run twice (its engine's member died after journaling it, before answering,
     * and the caller sent it again) answered 409 for the tenant it had created. Sent again under its id, it is
     * answered as the first time and runs once; a new request for the same tenant is still a conflict.
     */
    @Test
    void anOperationSentTwiceUnderOneIdRunsOnceAndAnswersTheSameBothTimes() {
        HazelcastRemote sender = new HazelcastRemote(elsewhere);
        io.ichiba.ledger.store.Operation<Ledger, io.ichiba.ledger.Result<io.ichiba.ledger.tenant.TenantState>> create =
                l -> l.createTenant("twice", Map.of("memory", 1L));
        String id = java.util.UUID.randomUUID().toString();
        var first = sender.operate(id, create);
        var again = sender.operate(id, create);
        assertThat(first.ok()).isTrue();
        assertThat(again).isEqualTo(first);
        var other = sender.operate(java.util.UUID.randomUUID().toString(), create);
        assertThat(other.rejection().code()).isEqualTo(io.ichiba.ledger.Rejection.Code.ALREADY_EXISTS);
    }

    @Test
    void aClaimSubmittedElsewhereIsAdmittedByTheIntakeOfTheEnginesMemberInTheSameOperation() {
        assertThat(remote.createTenant("intake", Map.of("memory", 10L)).ok()).isTrue();
        assertThat(remote.report("intake-node", Map.of("memory", 100L), Map.of()).ok()).isTrue();
        io.ichiba.ledger.Admission admission = new io.ichiba.ledger.Admission(local);
        List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        local.admitOnIntake(queued -> {
            threads.add(Thread.currentThread().getName());
            admission.admit(queued.id());
            return local.claim(queued.id());
        });
        remote.admitOnIntake(queued -> {
            throw new AssertionError("the intake of the member that sent the submission ran");
        });
        try {
            var r = remote.submit(ClaimRequest.of("intake-1", "intake",
                    io.ichiba.ledger.claim.Bundle.of(Map.of("memory", 1L), List.of()), 1, 30, null));
            assertThat(r.ok()).isTrue();
            assertThat(r.value().state()).as("granted by its own submission").isEqualTo(
                    io.ichiba.ledger.claim.ClaimState.GRANTED);
            assertThat(threads).hasSize(1).allMatch(t -> t.startsWith("ichiba-engine"));
            assertThat(local.pool("memory@intake-node").granted()).isEqualTo(1L);
        } finally {
            local.admitOnIntake(null);
            remote.admitOnIntake(null);
        }
    }

    @Test
    void aCountAskedElsewhereIsTheEnginesCount() {
        for (int i = 0; i < 5; i++) {
            assertThat(remote.defineKind("count-" + i, "u").ok()).isTrue();
        }
        io.ichiba.ledger.store.Table.Filter<io.ichiba.ledger.pool.KindDef> counted = k -> k.name().startsWith("count-");
        assertThat(remote.store().kinds().count(counted)).isEqualTo(5);
        assertThat(remote.store().kinds().count(counted))
                .isEqualTo(local.store().kinds().values(counted).size());
        // an exact index on the engine's member: what it files, asked from elsewhere
        var queued = new ClaimFilters.ClaimIn(java.util.EnumSet.of(io.ichiba.ledger.claim.ClaimState.QUEUED));
        assertThat(remote.store().claims().count(queued)).isEqualTo(local.store().claims().count(queued));
    }
}
