package io.ichiba.ledger.engine;

import io.ichiba.ledger.Command;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.store.Table;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's indexes (issue 13, "indexes built for the work"): whatever the changes — records moved between keys,
 * removed, changed by commands that fail halfway — a filter answered from an index gives what testing every record
 * gives, on the engine thread within a command (the command's own changes over the committed records) and on another
 * thread (the committed records alone); and a count answered from an exact index is the number of records that pass.
 * An index built late, over records already there, answers the same as one kept from the start. A walk of an ordered
 * index ({@link Table#first}) finds the first record from a key on that sorting every record finds.
 */
class EngineIndexProperties {
    private static final List<String> GROUPS = List.of("a", "b", "c");
    private EngineStore store;

    /** A record of the test: a group and whether it is open. */
    record Item(String group, boolean open, int n) implements Serializable {
    }

    /** Items under their group, and under group/open while open. */
    record ByGroup() implements Table.Index<Item> {
        @Override
        public void keys(Item item, Consumer<String> out) {
            out.accept(item.group());
            if (item.open()) {
                out.accept(item.group() + "/open");
            }
        }
    }

    /** Items of one group. */
    record InGroup(String group) implements Table.Indexed<Item> {
        @Override
        public boolean test(Item item) {
            return item.group().equals(group);
        }

        @Override
        public Table.Index<Item> index() {
            return new ByGroup();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of(group);
        }

        @Override
        public boolean exact() {
            return true;
        }
    }

    /** Open items of some groups. */
    record OpenIn(List<String> groups) implements Table.Indexed<Item> {
        @Override
        public boolean test(Item item) {
            return item.open() && groups.contains(item.group());
        }

        @Override
        public Table.Index<Item> index() {
            return new ByGroup();
        }

        @Override
        public Collection<String> indexKeys() {
            return groups.stream().map(g -> g + "/open").toList();
        }

        @Override
        public boolean exact() {
            return true;
        }
    }

    /** Items of a group with an odd number: the index narrows, the test decides. */
    record OddIn(String group) implements Table.Indexed<Item> {
        @Override
        public boolean test(Item item) {
            return item.group().equals(group) && item.n() % 2 == 1;
        }

        @Override
        public Table.Index<Item> index() {
            return new ByGroup();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of(group);
        }
    }

    /** Items by their number, in order (as ended records by their end time). */
    record ByN() implements Table.OrderedIndex<Item> {
        @Override
        public void keys(Item item, Consumer<String> out) {
            out.accept(Table.OrderedIndex.key(item.n()));
        }
    }

    /** Items numbered below {@code bound}: found in the ordered index below its key. */
    record NBelow(int bound) implements Table.Indexed<Item> {
        @Override
        public boolean test(Item item) {
            return item.n() < bound;
        }

        @Override
        public Table.Index<Item> index() {
            return new ByN();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of();
        }

        @Override
        public String below() {
            return Table.OrderedIndex.key(bound);
        }
    }

    /** Sets a record. */
    record Put(Item item) implements Command<Item, Object> {
        @Override
        public Outcome<Item, Object> apply(Item current) {
            return Outcome.write(item, null);
        }
    }

    /** Removes a record. */
    record Remove() implements Command<Item, Object> {
        @Override
        public Outcome<Item, Object> apply(Item current) {
            return current == null ? Outcome.keep(null) : Outcome.write(null, null);
        }
    }

    /** One change: a key set to an item, or removed ({@code item == null}). */
    record Change(String key, Item item) {
    }

    /** A command of changes, failing after them if {@code fails}. */
    record Step(List<Change> changes, boolean fails, boolean indexLate) {
    }

    @AfterTry
    void close() {
        if (store != null) {
            store.close();
        }
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Item> items = Combinators.combine(Arbitraries.of(GROUPS), Arbitraries.of(true, false),
                Arbitraries.integers().between(0, 9)).as(Item::new);
        Arbitrary<Change> changes = Combinators.combine(Arbitraries.integers().between(0, 11).map(i -> "k" + i),
                items.injectNull(0.25)).as(Change::new);
        Arbitrary<Step> step = Combinators.combine(changes.list().ofMinSize(1).ofMaxSize(6),
                Arbitraries.integers().between(0, 4).map(i -> i == 0), Arbitraries.integers().between(0, 9)
                        .map(i -> i == 0)).as(Step::new);
        return step.list().ofMaxSize(25);
    }

    @Property(tries = 150)
    void anIndexAnswersWhatTestingEveryRecordAnswers(@ForAll("steps") List<Step> steps) {
        store = Engines.started(new InMemoryJournal());
        @SuppressWarnings("unchecked")
        Table<Item> table = (Table<Item>) (Table<?>) store.table("cursors");
        List<Table.Filter<Item>> filters = new ArrayList<>();
        for (Step s : steps) {
            if (s.indexLate() || filters.isEmpty()) {
                // filters asked for first now: their index is built over the records already there
                filters.add(new InGroup(GROUPS.get(filters.size() % GROUPS.size())));
                filters.add(new OpenIn(List.of("a", "c")));
                filters.add(new OddIn("b"));
                filters.add(new NBelow(filters.size() % 11));
            }
            try {
                store.atomically(() -> {
                    for (Change c : s.changes()) {
                        if (c.item() == null) {
                            table.execute(c.key(), new Remove());
                        } else {
                            table.execute(c.key(), new Put(c.item()));
                        }
                        filters.forEach(f -> check(table, f, "within a command"));
                    }
                    if (s.fails()) {
                        throw new IllegalStateException("fails after its changes");
                    }
                    return null;
                });
            } catch (IllegalStateException expected) {
                // dropped: the committed records and their indexes are as before
            }
            filters.forEach(f -> check(table, f, "from another thread"));
        }
    }

    /**
     * The same within one batch of many commands (the engine paused in the append of the batch before, while they
     * arrive): each command sees the changes of the commands before it in the batch, and of those only the ones that
     * did not fail, through the index as through every record.
     */
    @Property(tries = 100)
    void withinABatchOfManyCommandsAnIndexAnswersWhatTestingEveryRecordAnswers(@ForAll("steps") List<Step> steps)
            throws Exception {
        EngineFencingTest.Gated gated = new EngineFencingTest.Gated(new InMemoryJournal());
        store = Engines.started(gated);
        @SuppressWarnings("unchecked")
        Table<Item> table = (Table<Item>) (Table<?>) store.table("cursors");
        List<Table.Filter<Item>> filters = new ArrayList<>();
        filters.add(new InGroup("a"));
        filters.add(new OpenIn(List.of("a", "c")));
        filters.add(new OddIn("b"));
        filters.add(new NBelow(5));
        gated.shut();
        java.util.concurrent.CompletableFuture<Object> plug = store.submitLocal(() ->
                table.execute("k0", new Put(new Item("a", true, 0))));
        assertThat(gated.arrived.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("paused in its append").isTrue();
        List<AssertionError> wrong = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<java.util.concurrent.CompletableFuture<Object>> commands = new ArrayList<>();
        List<Table.Filter<Item>> late = List.of(new InGroup("b"), new NBelow(8));
        for (Step s : steps) {
            commands.add(store.submitLocal(() -> {
                if (s.indexLate()) {
                    late.forEach(f -> check(table, f, "an index first asked for within the batch", wrong));
                }
                for (Change c : s.changes()) {
                    if (c.item() == null) {
                        table.execute(c.key(), new Remove());
                    } else {
                        table.execute(c.key(), new Put(c.item()));
                    }
                    filters.forEach(f -> check(table, f, "within a batch", wrong));
                }
                if (s.fails()) {
                    throw new IllegalStateException("fails after its changes");
                }
                return null;
            }));
        }
        gated.open();
        plug.get(30, java.util.concurrent.TimeUnit.SECONDS);
        for (java.util.concurrent.CompletableFuture<Object> c : commands) {
            try {
                c.get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException expected) {
                assertThat(expected.getCause()).isInstanceOf(IllegalStateException.class);
            }
        }
        assertThat(wrong).isEmpty();
        filters.forEach(f -> check(table, f, "from another thread"));
    }

    private static void check(Table<Item> table, Table.Filter<Item> f, String where, List<AssertionError> wrong) {
        try {
            check(table, f, where);
        } catch (AssertionError e) {
            wrong.add(e);
        }
    }

    private static void check(Table<Item> table, Table.Filter<Item> f, String where) {
        List<Item> every = table.entries().values().stream().filter(f::test).sorted(ORDER).toList();
        List<Item> indexed = table.values(f).stream().sorted(ORDER).toList();
        assertThat(indexed).as(f + " " + where).isEqualTo(every);
        assertThat(table.count(f)).as("count of " + f + " " + where).isEqualTo(every.size());
        assertThat(table.any(f)).as("any " + f + " " + where).isEqualTo(!every.isEmpty());
        assertThat(table.localKeys(f)).as("keys of " + f + " " + where).hasSize(every.size());
        if (f instanceof NBelow below) {
            // the ordered walk: the first open item numbered from the bound on, as sorting every record finds it
            int from = below.bound();
            java.util.OptionalInt lowest = table.entries().values().stream()
                    .filter(i -> i.open() && i.n() >= from).mapToInt(Item::n).min();
            Item first = table.first(new ByN(), Table.OrderedIndex.key(from), Item::open);
            assertThat(first == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(first.n()))
                    .as("first open from " + from + " " + where).isEqualTo(lowest);
            assertThat(first == null || (first.open() && first.n() >= from)).isTrue();
        }
    }

    private static final Comparator<Item> ORDER = Comparator.comparing(Item::group).thenComparing(Item::open)
            .thenComparingInt(Item::n);

    /** A filter answered from its index tests only the records filed under its keys, not the whole table. */
    @Test
    void aFilterWithAnIndexTestsOnlyWhatIsFiledUnderItsKeys() {
        store = Engines.started(new InMemoryJournal());
        @SuppressWarnings("unchecked")
        Table<Item> table = (Table<Item>) (Table<?>) store.table("cursors");
        store.atomically(() -> {
            for (int i = 0; i < 1000; i++) {
                table.execute("k" + i, new Put(new Item(i < 10 ? "a" : "b", false, i)));
            }
            return null;
        });
        int[] tested = {0};
        Table.Indexed<Item> counting = new CountingInA(tested);
        assertThat(table.values(counting)).hasSize(10);
        assertThat(tested[0]).as("records tested for a filter on the 10 of group a among 1000").isEqualTo(10);
        close();
    }

    /** A range of an ordered index tests only the records filed below its bound (a purge: only the ended past it). */
    @Test
    void aRangeOfAnOrderedIndexTestsOnlyWhatIsFiledBelowIt() {
        store = Engines.started(new InMemoryJournal());
        @SuppressWarnings("unchecked")
        Table<Item> table = (Table<Item>) (Table<?>) store.table("cursors");
        store.atomically(() -> {
            for (int i = 0; i < 1000; i++) {
                table.execute("k" + i, new Put(new Item("a", false, i % 100)));
            }
            return null;
        });
        int[] tested = {0};
        NBelow below = new NBelow(3);
        Table.Indexed<Item> counting = new Table.Indexed<>() {
            @Override
            public boolean test(Item item) {
                tested[0]++;
                return below.test(item);
            }

            @Override
            public Table.Index<Item> index() {
                return below.index();
            }

            @Override
            public Collection<String> indexKeys() {
                return below.indexKeys();
            }

            @Override
            public String below() {
                return below.below();
            }
        };
        assertThat(table.values(counting)).hasSize(30);
        assertThat(tested[0]).as("records tested for the 30 numbered below 3 among 1000").isEqualTo(30);
        close();
    }

    /** Group a's records, counting how many it is asked to test (run in this JVM: the count is this object's). */
    private static final class CountingInA implements Table.Indexed<Item> {
        private final int[] tested;

        CountingInA(int[] tested) {
            this.tested = tested;
        }

        @Override
        public boolean test(Item item) {
            tested[0]++;
            return item.group().equals("a");
        }

        @Override
        public Table.Index<Item> index() {
            return new ByGroup();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of("a");
        }
    }
}
