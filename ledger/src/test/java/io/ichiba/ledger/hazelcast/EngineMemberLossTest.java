package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Auditor;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerInvariants;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.MutableClock;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.engine.EngineListener;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.journal.JournalUnavailableException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Losing as many members at once as a majority allows: the ledger's records have enough copies that the members
 * left hold every one ({@link HazelcastEngine#backupsFor}), and when they do not (fewer backups than members gone),
 * no engine starts from what is left.
 */
class EngineMemberLossTest {

    /** The member holding the journal's head, then those holding its backups (the head map has one key). */
    private static List<HazelcastInstance> headHolders(List<HazelcastInstance> members) {
        List<HazelcastInstance> out = new ArrayList<>();
        members.stream().filter(m -> m.getMap(HazelcastJournal.MAP).getLocalMapStats().getOwnedEntryCount() == 1)
                .forEach(out::add);
        members.stream().filter(m -> m.getMap(HazelcastJournal.MAP).getLocalMapStats().getBackupEntryCount() == 1)
                .forEach(out::add);
        return out;
    }

    /** Waits (bounded) until one of {@code stores} runs the engine, and answers which. */
    private static int engineAmong(List<EngineStore> stores) {
        await().atMost(Duration.ofSeconds(60))
                .until(() -> stores.stream().filter(s -> s.engine().active()).count() == 1);
        return stores.indexOf(stores.stream().filter(s -> s.engine().active()).findFirst().orElseThrow());
    }

    /** A ledger over {@code store} with the tenant {@code acme}. */
    private static Ledger acme(EngineStore store, MutableClock clock) {
        Ledger ledger = new Ledger(store, clock, LedgerSettings.defaults());
        assertThat(ledger.createTenant("acme", Map.of("memory", 1000L, "disk", 1000L)).ok()).isTrue();
        return ledger;
    }

    private static void terminate(List<HazelcastInstance> gone) {
        gone.parallelStream().forEach(m -> m.getLifecycleService().terminate()); // kill -9, both at once
    }

    @Test
    void fiveMembersKeepEveryAcknowledgedRecordWhenTheTwoHoldingTheJournalsHeadDie() {
        assertThat(HazelcastEngine.backupsFor(3, 2)).isEqualTo(1);
        assertThat(HazelcastEngine.backupsFor(5, 3)).isEqualTo(2);
        assertThat(HazelcastEngine.backupsFor(1, 1)).isEqualTo(1);
        assertThat(HazelcastEngine.backupsFor(2, 2)).as("one backup even where a loss stops writes").isEqualTo(1);
        assertThat(HazelcastEngine.backupsFor(9, 1)).as("Hazelcast's most").isEqualTo(6);

        List<HazelcastInstance> members = EmbeddedHazelcast.startCluster(getClass(), 6011, 5,
                c -> HazelcastEngine.protect(c, 3, 5));
        List<EngineStore> stores = new ArrayList<>(members.stream().map(HazelcastEngine::store).toList());
        MutableClock clock = new MutableClock();
        try {
            int engine = engineAmong(stores);
            Ledger ledger = acme(stores.get(engine), clock);
            assertThat(ledger.report("n1", Map.of("memory", 1000L, "disk", 1000L), Map.of()).ok()).isTrue();
            for (int i = 0; i < 20; i++) {
                assertThat(ledger.submit(ClaimRequest.of("c" + i, "acme", Bundle.of(new TreeMap<>(Map.of("memory",
                        10L)), List.of()), 0, 60, null)).ok()).isTrue();
            }
            assertThat(stores.get(engine).atomically(new Admission(ledger)::pass).granted()).hasSize(20);
            assertThat(ledger.release("c0").value().state()).isEqualTo(ClaimState.RELEASED);
            // some batches written behind into the state maps, some only in the journal's head
            await().atMost(Duration.ofSeconds(30)).until(() -> members.get(0)
                    .getMap(HazelcastJournal.STATE_PREFIX + "claims").size() == 20);
            assertThat(ledger.release("c1").value().state()).isEqualTo(ClaimState.RELEASED);

            List<HazelcastInstance> holders = headHolders(members);
            assertThat(holders).as("the head and its backups").hasSizeGreaterThanOrEqualTo(2);
            List<HazelcastInstance> gone = holders.subList(0, 2);
            terminate(gone);
            gone.forEach(g -> stores.get(members.indexOf(g)).close());

            List<HazelcastInstance> left = members.stream().filter(m -> !gone.contains(m)).toList();
            List<EngineStore> leftStores = left.stream().map(m -> stores.get(members.indexOf(m))).toList();
            await("an engine among the three left").atMost(Duration.ofSeconds(60))
                    .until(() -> leftStores.stream().filter(s -> s.engine().active()).count() == 1);
            EngineStore survivor = leftStores.stream().filter(s -> s.engine().active()).findFirst().orElseThrow();
            Ledger next = new Ledger(survivor, clock, LedgerSettings.defaults());
            assertThat(next.claim("c0").state()).isEqualTo(ClaimState.RELEASED);
            assertThat(next.claim("c1").state()).isEqualTo(ClaimState.RELEASED);
            for (int i = 2; i < 20; i++) {
                assertThat(next.claim("c" + i).state()).as("claim c%d", i).isEqualTo(ClaimState.GRANTED);
            }
            assertThat(survivor.nodes().get("n1").holdings().holders()).hasSize(18);
            LedgerInvariants.check(survivor);
            assertThat(new Auditor(next).audit().drift()).isEmpty();
        } finally {
            stores.forEach(EngineStore::close);
            EmbeddedHazelcast.stop(members);
        }
    }

    @Test
    void noEngineStartsFromWhatIsLeftWhenTheJournalsHeadWasLost() {
        // one backup (configure's default) on three members, and no majority asked: the two holding the head die
        List<HazelcastInstance> members = EmbeddedHazelcast.startCluster(getClass(), 6031, 3);
        List<EngineStore> stores = new ArrayList<>(members.stream()
                .map(m -> HazelcastEngine.store(m, EngineListener.NONE)).toList());
        MutableClock clock = new MutableClock();
        try {
            Ledger ledger = acme(stores.get(engineAmong(stores)), clock);
            for (int i = 0; i < 50; i++) {
                assertThat(ledger.report("n" + i, Map.of("memory", 1000L), Map.of()).ok()).isTrue();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> members.get(0)
                    .getMap(HazelcastJournal.STATE_PREFIX + "nodes").size() == 50);

            List<HazelcastInstance> gone = headHolders(members);
            assertThat(gone).hasSize(2);
            terminate(gone);
            gone.forEach(g -> stores.get(members.indexOf(g)).close());
            HazelcastInstance left = members.stream().filter(m -> !gone.contains(m)).findFirst().orElseThrow();
            EngineStore leftStore = stores.get(members.indexOf(left));
            await().atMost(Duration.ofSeconds(60)).until(() -> left.getCluster().getMembers().size() == 1
                    && left.getPartitionService().getPartition(HazelcastJournal.ENGINE_KEY).getOwner() != null
                    && left.getPartitionService().getPartition(HazelcastJournal.ENGINE_KEY).getOwner().localMember());

            assertThat(left.getMap(HazelcastJournal.MAP).get(HazelcastJournal.ENGINE_KEY)).as("the head").isNull();
            assertThat(left.getMap(HazelcastJournal.STATE_PREFIX + "nodes").size()).as("some nodes are left")
                    .isPositive();
            // refused by the head's check, or by the partition-lost event if that came first
            assertThatThrownBy(() -> new HazelcastJournal(left).takeOver())
                    .isInstanceOf(JournalUnavailableException.class)
                    .hasMessageMatching("(?s).*(head is gone|records were lost).*");
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                    .until(() -> !leftStore.engine().active());
            assertThat(leftStore.engine().journalLost()).as("what ichiba_engine_ledger_lost shows").isNotNull();
        } finally {
            stores.forEach(EngineStore::close);
            EmbeddedHazelcast.stop(members);
        }
    }

    @Test
    void aJournalWhoseHeadIsMissingWhileStateMapsHoldRecordsIsNotTakenOver() {
        HazelcastInstance member = EmbeddedHazelcast.startOne(getClass(), 6051);
        try {
            HazelcastJournal journal = new HazelcastJournal(member);
            io.ichiba.ledger.journal.Takeover t = journal.takeOver();
            journal.append(new io.ichiba.ledger.journal.Batch(t.epoch(), t.lastSeq() + 1,
                    List.of(new io.ichiba.ledger.journal.Change("kinds", "gpu", "v"))));
            assertThat(journal.writeBehind(t.epoch(), t.lastSeq() + 1, Map.of("kinds", Map.of("gpu", "v")))).isTrue();
            member.getMap(HazelcastJournal.MAP).delete(HazelcastJournal.ENGINE_KEY);

            assertThatThrownBy(() -> new HazelcastJournal(member).takeOver())
                    .isInstanceOf(JournalUnavailableException.class)
                    .hasMessageContaining("head is gone").hasMessageContaining(HazelcastJournal.STATE_PREFIX + "kinds");
            member.getMap(HazelcastJournal.STATE_PREFIX + "kinds").clear();
            assertThat(new HazelcastJournal(member).takeOver().epoch()).as("nothing held: a first start").isEqualTo(1);
        } finally {
            EmbeddedHazelcast.stop(List.of(member));
        }
    }
}
