package io.ichiba.ledger.engine;

import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.MutableClock;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.hazelcast.KryoSerializer;
import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.Change;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.store.Incremental;
import io.ichiba.ledger.tenant.TenantLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node, a lock and a tenant that hold many claims travel to other members as their patch when a grant or a release
 * changes one holder (not with every holder again), and a member that takes over from those patches holds what the
 * engine held.
 */
class EngineHoldingsPatchTest {
    private final List<Batch> appended = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        Engines.closeAll();
    }

    @Test
    void aGrantAmongManyHoldersTravelsAsPatchesAndATakeoverAppliesThem() {
        InMemoryJournal journal = new InMemoryJournal();
        Engines.AsBackup asBackup = new Engines.AsBackup(journal) {
            @Override
            public void append(Batch batch) {
                appended.add(batch);
                super.append(batch); // kept as another member gets it
            }

            @Override
            public boolean writeBehind(long epoch, long seq, Map<String, Map<String, Object>> changes) {
                return false; // every batch stays in the journal: the takeover below replays them all
            }
        };
        EngineStore engine = Engines.started(asBackup);
        MutableClock clock = new MutableClock();
        Ledger ledger = new Ledger(engine, clock, LedgerSettings.defaults().withLimits(TenantLimits.NONE));
        assertThat(ledger.createTenant("acme", Map.of("memory", 1_000_000L)).ok()).isTrue();
        assertThat(ledger.report("n1", Map.of("memory", 1_000_000L), Map.of()).ok()).isTrue();
        assertThat(ledger.createLock("seats", 1_000).ok()).isTrue();
        Bundle one = Bundle.of(Map.of("memory", 1L), List.of("seats"));
        for (int i = 0; i < 400; i++) {
            assertThat(ledger.submit(ClaimRequest.of("c" + i, "acme", one, 1, 600, null)).ok()).isTrue();
        }
        engine.atomically(new Admission(ledger)::pass);
        assertThat(ledger.claim("c399").state()).isEqualTo(ClaimState.GRANTED);

        appended.clear();
        io.ichiba.ledger.pool.NodeState earlier = engine.nodes().get("n1");
        assertThat(ledger.submit(ClaimRequest.of("c400", "acme", one, 1, 600, null)).ok()).isTrue();
        engine.atomically(new Admission(ledger)::pass);
        assertThat(ledger.claim("c400").state()).isEqualTo(ClaimState.GRANTED);
        assertThat(ledger.release("c7").ok()).isTrue();
        for (String[] place : List.of(new String[] {"nodes", "n1"}, new String[] {"locks", "seats"},
                new String[] {"tenants", "acme"})) {
            List<Change> changes = appended.stream().flatMap(b -> b.changes().stream())
                    .filter(c -> c.table().equals(place[0]) && c.key().equals(place[1])).toList();
            assertThat(changes).as("%s/%s changed", place[0], place[1]).isNotEmpty();
            for (Change c : changes) {
                assertThat(c.written().value()).as("%s/%s as another member gets it", place[0], place[1])
                        .isInstanceOf(Incremental.Patched.class);
            }
        }

        // committed, a place forgets the places it was made from (each kept alive a path of its holders' tree and
        // its totals: two thirds of a granted claim's heap); the next change is told against it
        assertThat(engine.nodes().get("n1").holdings().changesSince(earlier.holdings()))
                .as("what the committed node can tell of the node two batches before").isNull();

        // the release's change of the node, as written, against the whole node
        Change released = appended.get(appended.size() - 1).changes().stream()
                .filter(c -> c.table().equals("nodes")).findFirst().orElseThrow();
        int whole = KryoSerializer.toBytes(released.value()).length;
        int patch = KryoSerializer.toBytes(released).length;
        assertThat(patch).as("the node's patch against the whole node (%d bytes, 400 holders)", whole)
                .isLessThan(whole / 10);

        Map<String, Map<String, Object>> before = Engines.tables(engine);
        EngineStore next = Engines.started(asBackup); // takes over, replaying every batch, patches included
        assertThat(Engines.tables(next)).isEqualTo(before);
        new Ledger(next, clock, LedgerSettings.defaults().withLimits(TenantLimits.NONE));
        assertThat(next.nodes().get("n1").holdings().holders()).hasSize(400);
    }
}
