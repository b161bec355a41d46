package io.ichiba.ledger.engine;

import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Bundle;
import io.ichiba.ledger.Claim;
import io.ichiba.ledger.ClaimState;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.MutableClock;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.store.InMemoryStore;
import io.ichiba.ledger.store.Store;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterTry;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's admission shortcuts ({@link Admission#admit} at intake, a pass skipped when nothing changed) decide
 * what full passes decide: the same script of submissions (each followed by a pass), releases, cancels, reports and
 * time run on the engine with the shortcuts and on the reference store (where every pass is a full one) leaves every
 * claim in the same state with the same reason, after every step.
 */
class EngineAdmissionProperties {
    private static final LedgerSettings SETTINGS = new LedgerSettings(5_000, 20_000, 10_000, 3_600_000, 86_400, 0);
    private EngineStore engineStore;

    /** One step of the script. */
    record Step(int kind, int memory, int priority, int pick, int millis) {
    }

    @AfterTry
    void close() {
        if (engineStore != null) {
            engineStore.close();
        }
    }

    @Provide
    Arbitrary<List<Step>> scripts() {
        Arbitrary<Step> step = Combinators.combine(Arbitraries.integers().between(0, 9),
                Arbitraries.integers().between(1, 8), Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 99), Arbitraries.integers().between(0, 30_000)).as(Step::new);
        return step.list().ofMinSize(5).ofMaxSize(40);
    }

    /** A ledger, its admission, and whether it admits at intake. */
    private record World(MutableClock clock, Store store, Ledger ledger, Admission admission, boolean intake) {
        static World of(Store store, boolean intake) {
            MutableClock clock = new MutableClock();
            Ledger l = new Ledger(store, clock, SETTINGS);
            l.createTenant("t", Map.of("memory", 1_000L));
            l.createTenant("u", Map.of("memory", 12L));
            l.report("n1", Map.of("memory", 10L), Map.of());
            l.report("n2", Map.of("memory", 6L), Map.of());
            l.createLock("db", 1);
            return new World(clock, store, l, new Admission(l), intake);
        }

        void submit(String id, Step s) {
            String tenant = s.pick() % 3 == 0 ? "u" : "t";
            Bundle b = s.pick() % 5 == 0 ? Bundle.of(Map.of("memory", (long) s.memory()), List.of("db"))
                    : Bundle.of(Map.of("memory", (long) s.memory()), List.of());
            String node = s.pick() % 7 == 0 ? "n2" : null;
            if (intake) {
                store.atomically(() -> {
                    ledger.submit(id, tenant, b, s.priority(), 60, node);
                    return admission.admit(id);
                });
            } else {
                ledger.submit(id, tenant, b, s.priority(), 60, node);
            }
            pass();
        }

        void pass() {
            store.atomically(admission::pass);
        }

        /** Every claim's state and node, and whether a waiting claim has been looked at. */
        Map<String, String> claims() {
            Map<String, String> out = new TreeMap<>();
            store.claims().entries().forEach((k, c) -> out.put(k, c.state() + "@" + c.node()
                    + (c.state() == ClaimState.QUEUED ? (c.reason() == null ? " unseen" : " waiting") : "")));
            return out;
        }

        String nth(ClaimState state, int pick) {
            List<String> ids = store.claims().entries().values().stream().filter(c -> c.state() == state)
                    .map(Claim::id).sorted().toList();
            return ids.isEmpty() ? null : ids.get(pick % ids.size());
        }
    }

    @Property(tries = 200)
    void theShortcutsDecideWhatFullPassesDecide(@ForAll("scripts") List<Step> script) {
        engineStore = Engines.started(new InMemoryJournal());
        World fast = World.of(engineStore, true);
        World full = World.of(new InMemoryStore(), false);
        int n = 0;
        for (Step s : script) {
            switch (s.kind()) {
                case 0, 1, 2, 3, 4 -> {
                    String id = "c" + (n++);
                    fast.submit(id, s);
                    full.submit(id, s);
                }
                case 5 -> {
                    String id = full.nth(ClaimState.GRANTED, s.pick());
                    if (id != null) {
                        fast.ledger().release(id);
                        full.ledger().release(id);
                    }
                }
                case 6 -> {
                    String id = full.nth(ClaimState.QUEUED, s.pick());
                    if (id != null) {
                        fast.ledger().cancel(id);
                        full.ledger().cancel(id);
                    }
                }
                case 7 -> {
                    long memory = 4 + s.pick() % 10;
                    fast.ledger().report("n2", Map.of("memory", memory), Map.of());
                    full.ledger().report("n2", Map.of("memory", memory), Map.of());
                }
                default -> {
                    fast.clock().advanceMillis(s.millis());
                    full.clock().advanceMillis(s.millis());
                    fast.pass();
                    full.pass();
                }
            }
            assertThat(fast.claims()).as("after " + s).isEqualTo(full.claims());
        }
    }
}
