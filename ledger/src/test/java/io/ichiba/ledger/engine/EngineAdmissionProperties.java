package io.ichiba.ledger.engine;

import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.MutableClock;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.store.Store;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.statistics.Statistics;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's admission shortcuts ({@link Admission#admit} at intake, a pass skipped when nothing changed, a partial
 * pass over the claims that the changes since concern) decide what full passes decide: the same script of submissions
 * (each followed by a pass), releases and cancels (each followed by a pass or not), reports and time run on the engine
 * with the shortcuts and on an engine behind a store that counts no versions (where every pass is a full one) leaves
 * every claim in the same state
 * on the same node with the same reason, after every step. Claims want memory on any node or on one, a lock with one
 * permit or one with two, or locks alone; two tenants, one with a small quota.
 */
class EngineAdmissionProperties {
    private static final LedgerSettings SETTINGS = new LedgerSettings(5_000, 20_000, 3_600_000, 86_400, 0);
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
    private record World(MutableClock clock, Store store, Ledger ledger, Admission admission, boolean intake,
                         int[] partial, int[] granted) {
        static World of(Store store, boolean intake) {
            MutableClock clock = new MutableClock();
            Ledger l = new Ledger(store, clock, SETTINGS);
            l.createTenant("t", Map.of("memory", 1_000L));
            l.createTenant("u", Map.of("memory", 12L));
            l.report("n1", Map.of("memory", 10L), Map.of());
            l.report("n2", Map.of("memory", 6L), Map.of());
            l.createLock("db", 1);
            l.createLock("cache", 2);
            return new World(clock, store, l, new Admission(l), intake, new int[1], new int[1]);
        }

        void submit(String id, Step s) {
            String tenant = s.pick() % 3 == 0 ? "u" : "t";
            Bundle b = s.pick() % 5 == 0 ? Bundle.of(Map.of("memory", (long) s.memory()), List.of("db"))
                    : s.pick() % 11 == 0 ? Bundle.of(Map.of(), List.of(s.memory() % 2 == 0 ? "db" : "cache"))
                    : s.pick() % 13 == 0 ? Bundle.of(Map.of("memory", (long) s.memory()), List.of("cache"))
                    : Bundle.of(Map.of("memory", (long) s.memory()), List.of());
            String node = s.pick() % 7 == 0 ? "n2" : null;
            if (intake) {
                store.atomically(() -> {
                    ledger.submit(ClaimRequest.of(id, tenant, b, s.priority(), 60, node));
                    return admission.admit(id);
                });
            } else {
                ledger.submit(ClaimRequest.of(id, tenant, b, s.priority(), 60, node));
            }
            pass();
        }

        Admission.Pass pass() {
            Admission.Pass p = store.atomically(admission::pass);
            if (p.kind() == Admission.Pass.Kind.PARTIAL) {
                partial[0]++;
                granted[0] += p.granted().isEmpty() ? 0 : 1;
            }
            return p;
        }

        /**
         * Every claim's state and node, and whether a waiting claim has been looked at; with {@code reasons}, why it
         * waits. (A claim admitted alone at intake is granted before the pass decides on the claims ahead of it, so
         * their reasons may then tell what its grant took: compared without intake.)
         */
        Map<String, String> claims(boolean reasons) {
            Map<String, String> out = new TreeMap<>();
            store.claims().entries().forEach((k, c) -> out.put(k, c.state() + "@" + c.node()
                    + (c.state() != ClaimState.QUEUED ? "" : c.reason() == null ? " unseen"
                    : reasons ? " " + c.reason() : " waiting")));
            return out;
        }

        String nth(ClaimState state, int pick) {
            List<String> ids = store.claims().entries().values().stream().filter(c -> c.state() == state)
                    .map(Claim::id).sorted().toList();
            return ids.isEmpty() ? null : ids.get(pick % ids.size());
        }
    }

    @Property(tries = 300)
    void theShortcutsDecideWhatFullPassesDecide(@ForAll("scripts") List<Step> script, @ForAll boolean intake) {
        World fast = run(script, intake);
        Statistics.label("partial passes").collect(fast.partial()[0] > 0);
        Statistics.label("a partial pass granted").collect(fast.granted()[0] > 0);
        Statistics.label("partial passes").coverage(c -> c.check(true).percentage(p -> p > 30));
        Statistics.label("a partial pass granted").coverage(c -> c.check(true).percentage(p -> p > 10));
    }

    /**
     * A partial pass grants a claim ({@code g}) that waiting claims alike need, one ahead of it ({@code X}, left as it
     * is) and one behind ({@code C}, decided again): {@code C} waits for the reason {@code X} had before the grant, as
     * in a full pass (which looks at an ask once per pass), not for the quota the grant used up.
     */
    @Example
    void aClaimBehindAGrantWaitsForTheReasonOfItsAlikeAhead() {
        World fast = run(List.of(new Step(0, 8, 0, 1, 0), new Step(0, 2, 0, 1, 0), new Step(0, 6, 0, 3, 0),
                new Step(0, 5, 3, 21, 0), new Step(0, 5, 0, 21, 0), new Step(5, 1, 0, 0, 0),
                new Step(0, 2, 2, 3, 0)), false);
        assertThat(fast.claims(true)).containsEntry("c4", "QUEUED@null INSUFFICIENT_CAPACITY")
                .containsEntry("c5", "GRANTED@n1");
        assertThat(fast.partial()[0]).isPositive();
    }

    /** Runs {@code script} on both worlds, comparing them after each step; answers the engine's. */
    private World run(List<Step> script, boolean intake) {
        engineStore = Engines.started(new InMemoryJournal());
        World fast = World.of(engineStore, intake);
        // the same ledger behind a store whose tables count no versions: every pass a full one
        World full = World.of(new io.ichiba.ledger.InterceptingStore(Engines.started(new InMemoryJournal())), false);
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
                        if (s.millis() % 2 == 0) {
                            fast.pass();
                            full.pass();
                        }
                    }
                }
                case 6 -> {
                    String id = full.nth(ClaimState.QUEUED, s.pick());
                    if (id != null) {
                        fast.ledger().cancel(id);
                        full.ledger().cancel(id);
                        if (s.millis() % 2 == 0) {
                            fast.pass();
                            full.pass();
                        }
                    }
                }
                case 7 -> {
                    long memory = 4 + s.pick() % 10;
                    String node = s.millis() % 3 == 0 ? "n1" : "n2";
                    fast.ledger().report(node, Map.of("memory", memory), Map.of());
                    full.ledger().report(node, Map.of("memory", memory), Map.of());
                    if (s.millis() % 2 == 0) {
                        fast.pass();
                        full.pass();
                    }
                }
                default -> {
                    fast.clock().advanceMillis(s.millis());
                    full.clock().advanceMillis(s.millis());
                    fast.pass();
                    full.pass();
                }
            }
            assertThat(fast.claims(!intake)).as("after " + s).isEqualTo(full.claims(!intake));
        }
        return fast;
    }
}
