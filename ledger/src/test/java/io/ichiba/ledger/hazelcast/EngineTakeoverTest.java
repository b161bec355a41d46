package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Auditor;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerInvariants;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.MutableClock;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.Change;
import io.ichiba.ledger.journal.FencedException;
import io.ichiba.ledger.journal.Takeover;
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
 * The Hazelcast journal's fencing, and the engine moving when its member dies: a stale epoch cannot append, a batch
 * appended twice is in once, and after the engine's member is killed the survivor takes the journal over with
 * everything that was acknowledged.
 */
class EngineTakeoverTest {

    private static Batch batch(long epoch, long seq, String key) {
        return new Batch(epoch, seq, List.of(new Change("kinds", key, "v" + seq)));
    }

    @Test
    void aStaleEpochCannotAppendAndABatchRunTwiceIsInOnce() {
        HazelcastInstance member = EmbeddedHazelcast.startOne(getClass(), 5971);
        try {
            HazelcastJournal first = new HazelcastJournal(member);
            HazelcastJournal second = new HazelcastJournal(member);
            Takeover t1 = first.takeOver();
            first.append(batch(t1.epoch(), t1.lastSeq() + 1, "a"));
            first.append(batch(t1.epoch(), t1.lastSeq() + 1, "a")); // run twice: answered as appended

            Takeover t2 = second.takeOver();
            assertThat(t2.epoch()).isEqualTo(t1.epoch() + 1);
            assertThat(t2.batches()).hasSize(1);
            assertThatThrownBy(() -> first.append(batch(t1.epoch(), t1.lastSeq() + 2, "b")))
                    .isInstanceOf(FencedException.class);
            assertThatThrownBy(() -> second.append(batch(t2.epoch(), t2.lastSeq() + 2, "gap")))
                    .isInstanceOf(FencedException.class);
            second.append(batch(t2.epoch(), t2.lastSeq() + 1, "c"));
            assertThat(first.writeBehind(t1.epoch(), t2.lastSeq() + 1, Map.of())).as("a stale trim").isFalse();
            assertThat(second.writeBehind(t2.epoch(), t2.lastSeq() + 1,
                    Map.of("kinds", Map.of("a", "v1", "c", "v2")))).isTrue();
            Takeover t3 = first.takeOver();
            assertThat(t3.batches()).as("batches the state maps hold are dropped").isEmpty();
            assertThat(t3.tables().get("kinds")).containsEntry("a", "v1").containsEntry("c", "v2")
                    .doesNotContainKey("b");
        } finally {
            EmbeddedHazelcast.stop(List.of(member));
        }
    }

    /** Holds a partition thread of the member it runs on until {@link #RELEASE} opens. */
    static final class Block implements com.hazelcast.map.EntryProcessor<String, Object, Object> {
        static final java.util.concurrent.CountDownLatch BLOCKED = new java.util.concurrent.CountDownLatch(1);
        static final java.util.concurrent.CountDownLatch RELEASE = new java.util.concurrent.CountDownLatch(1);

        @Override
        public Object process(Map.Entry<String, Object> entry) {
            BLOCKED.countDown();
            try {
                RELEASE.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }

        @Override
        public com.hazelcast.map.EntryProcessor<String, Object, Object> getBackupProcessor() {
            return null;
        }
    }

    /**
     * What a member paused past failure detection meets when it wakes: it still owns the journal's head in its own
     * view and applies an append to its own copy, but its backup does not acknowledge it. That append is not "in"
     * because this member's own copy says so: its outcome is unknown, and no caller may be told it is done. (Here the
     * backup is late rather than gone: the backup member's partition thread for the head is held.)
     */
    @Test
    void anAppendWhoseBackupDoesNotAcknowledgeItIsUnknownThoughTheOwnCopyHoldsIt() throws InterruptedException {
        String cluster = EmbeddedHazelcast.clusterName(getClass());
        java.util.function.UnaryOperator<com.hazelcast.config.Config> quick = c -> c
                .setProperty("hazelcast.operation.backup.timeout.millis", "1000")
                .setProperty("hazelcast.operation.partition.thread.count", "2");
        HazelcastInstance a = com.hazelcast.core.Hazelcast.newHazelcastInstance(
                quick.apply(EmbeddedHazelcast.config(cluster, 5991)));
        HazelcastInstance b = com.hazelcast.core.Hazelcast.newHazelcastInstance(quick.apply(EmbeddedHazelcast.config(
                cluster, 5992, "127.0.0.1:" + a.getCluster().getLocalMember().getAddress().getPort())));
        List<HazelcastInstance> members = List.of(a, b);
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> members.stream()
                    .allMatch(m -> m.getCluster().getMembers().size() == 2 && m.getPartitionService().isClusterSafe()));
            HazelcastInstance owner = a.getPartitionService().getPartition(HazelcastJournal.ENGINE_KEY).getOwner()
                    .localMember() ? a : b;
            HazelcastInstance backup = owner == a ? b : a;
            HazelcastJournal journal = new HazelcastJournal(owner);
            Takeover t = journal.takeOver();
            journal.append(batch(t.epoch(), t.lastSeq() + 1, "acknowledged"));

            // hold the backup member's partition thread that applies the head's backups
            int head = owner.getPartitionService().getPartition(HazelcastJournal.ENGINE_KEY).getPartitionId();
            String held = java.util.stream.IntStream.range(0, 100_000).mapToObj(i -> "hold-" + i)
                    .filter(k -> {
                        com.hazelcast.partition.Partition p = owner.getPartitionService().getPartition(k);
                        return p.getPartitionId() % 2 == head % 2 && !p.getOwner().localMember();
                    }).findFirst().orElseThrow();
            owner.<String, Object>getMap(HazelcastEngine.PREFIX + "test.hold").submitToKey(held, new Block());
            assertThat(Block.BLOCKED.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

            assertThatThrownBy(() -> journal.append(batch(t.epoch(), t.lastSeq() + 2, "unacknowledged")))
                    .as("an append its backup did not acknowledge")
                    .isInstanceOf(io.ichiba.ledger.journal.JournalUnavailableException.class);
            assertThat(backup.getCluster().getMembers()).hasSize(2);
        } finally {
            Block.RELEASE.countDown();
            EmbeddedHazelcast.stop(members);
        }
    }

    @Test
    void theSurvivorTakesOverWithEverythingAcknowledgedWhenTheEngineMemberIsKilled() {
        killTheEngineMember(5981, j -> j);
    }

    /** The state maps never written: the survivor starts from the journal's batches alone. */
    @Test
    void theSurvivorReplaysTheJournalsBatchesThatTheStateMapsDoNotHold() {
        killTheEngineMember(5991, j -> new io.ichiba.ledger.engine.Engines.Forwarding(j) {
            @Override
            public boolean writeBehind(long epoch, long seq, Map<String, Map<String, Object>> changes) {
                return false;
            }
        });
    }

    /**
     * One clock: the engine's member is killed and the survivor's clock is 30 s ahead. Neither the node (15 s of
     * grace) nor a 20 s lease granted just before ends early: the new engine goes on from the journaled time, and
     * its clock still runs (20 s later both end).
     */
    @Test
    void aSurvivorWhoseClockIsThirtySecondsAheadEndsNoGrantEarly() {
        List<HazelcastInstance> members = EmbeddedHazelcast.startCluster(getClass(), 6021, 2);
        List<EngineStore> stores = new ArrayList<>(members.stream()
                .map(m -> HazelcastEngine.store(m, io.ichiba.ledger.engine.EngineListener.NONE, j -> j)).toList());
        try {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> stores.stream().filter(s -> s.engine().active()).count() == 1);
            int engine = stores.get(0).engine().active() ? 0 : 1;
            MutableClock engineClock = new MutableClock();
            MutableClock ahead = new MutableClock(MutableClock.EPOCH.plusSeconds(30));
            Ledger first = new Ledger(stores.get(engine), engineClock, LedgerSettings.defaults());
            Ledger survivor = new Ledger(stores.get(1 - engine), ahead, LedgerSettings.defaults());
            assertThat(first.createTenant("acme", Map.of("memory", 1000L)).ok()).isTrue();
            assertThat(first.report("n1", Map.of("memory", 1000L), Map.of()).ok()).isTrue();
            assertThat(first.submit(ClaimRequest.of("c1", "acme", Bundle.of(new TreeMap<>(Map.of("memory", 10L)),
                    List.of()), 0, 20, null)).ok()).isTrue();
            assertThat(stores.get(engine).atomically(new Admission(first)::pass).granted()).hasSize(1);

            members.get(engine).getLifecycleService().terminate();
            stores.get(engine).close();
            EngineStore next = stores.get(1 - engine);
            await().atMost(Duration.ofSeconds(60)).until(() -> next.engine().active());

            io.ichiba.ledger.LeaseReaper reaper = new io.ichiba.ledger.LeaseReaper(survivor);
            assertThat(survivor.clock().millis()).isEqualTo(MutableClock.EPOCH.toEpochMilli());
            assertThat(reaper.sweepNodes().nodesLost()).as("no node lost to the skew").isZero();
            assertThat(reaper.sweepLeases().expired()).as("no lease ended by the skew").isZero();
            assertThat(survivor.claim("c1").state()).isEqualTo(ClaimState.GRANTED);

            ahead.advance(Duration.ofSeconds(21));
            assertThat(reaper.sweepNodes().nodesLost()).as("the engine's clock runs on").isEqualTo(1);
            assertThat(survivor.claim("c1").state()).isEqualTo(ClaimState.LOST);
            LedgerInvariants.check(next);
        } finally {
            stores.forEach(EngineStore::close);
            EmbeddedHazelcast.stop(members);
        }
    }

    private void killTheEngineMember(int port, java.util.function.UnaryOperator<io.ichiba.ledger.journal.Journal> wrap) {
        List<HazelcastInstance> members = EmbeddedHazelcast.startCluster(getClass(), port, 2);
        List<EngineStore> stores = new ArrayList<>(members.stream()
                .map(m -> HazelcastEngine.store(m, io.ichiba.ledger.engine.EngineListener.NONE, wrap)).toList());
        MutableClock clock = new MutableClock();
        try {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> stores.stream().filter(s -> s.engine().active()).count() == 1);
            int engine = stores.get(0).engine().active() ? 0 : 1;
            int other = 1 - engine;
            long epoch = stores.get(engine).engine().epoch();

            // every call made on the member that does not run the engine is sent to the one that does, and runs
            // there against its ledger
            Ledger local = new Ledger(stores.get(engine), clock, LedgerSettings.defaults());
            Ledger remote = new Ledger(stores.get(other), clock, LedgerSettings.defaults());
            assertThat(remote.createTenant("acme", Map.of("memory", 1000L, "disk", 1000L)).ok()).isTrue();
            assertThat(remote.report("n1", Map.of("memory", 1000L, "disk", 1000L), Map.of()).ok()).isTrue();
            for (int i = 0; i < 20; i++) {
                assertThat(remote.submit(ClaimRequest.of("c" + i, "acme", Bundle.of(new TreeMap<>(Map.of("memory",
                        10L)), List.of()), 0, 60, null)).ok()).isTrue();
            }
            assertThat(stores.get(engine).atomically(new Admission(local)::pass).granted()).hasSize(20);
            assertThat(remote.release("c0").value().state()).isEqualTo(ClaimState.RELEASED);

            members.get(engine).getLifecycleService().terminate(); // kill -9: nothing migrates gracefully
            stores.get(engine).close();

            EngineStore survivor = stores.get(other);
            await().atMost(Duration.ofSeconds(60)).until(() -> survivor.engine().active());
            assertThat(survivor.engine().epoch()).isGreaterThan(epoch);
            assertThat(remote.claim("c0").state()).isEqualTo(ClaimState.RELEASED);
            for (int i = 1; i < 20; i++) {
                Claim c = remote.claim("c" + i);
                assertThat(c.state()).as("claim c%d", i).isEqualTo(ClaimState.GRANTED);
            }
            assertThat(survivor.nodes().get("n1").holdings().holders()).hasSize(19);
            LedgerInvariants.check(survivor);
            assertThat(new Auditor(remote).audit().drift()).isEmpty();
        } finally {
            stores.forEach(EngineStore::close);
            EmbeddedHazelcast.stop(members);
        }
    }
}
