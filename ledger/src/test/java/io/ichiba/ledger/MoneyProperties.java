package io.ichiba.ledger;

import io.ichiba.ledger.JournalEntry.Leg;
import io.ichiba.ledger.JournalEntry.Reason;
import io.ichiba.ledger.MoneyCommands.Apply;
import io.ichiba.ledger.MoneyCommands.Move;
import io.ichiba.ledger.MoneyCommands.Settle;
import io.ichiba.ledger.MoneyCommands.Undo;
import io.ichiba.ledger.Rejection.Code;
import io.ichiba.ledger.store.InMemoryStore;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random runs of the credit accounts on the in-memory store, checked after every step against law 4 and against a
 * model of the accounts that the test keeps itself.
 *
 * <p>A run is a list of operations over four tenants, the house and escrow (and a tenant that does not exist):
 * mints (some of invalid amounts or for the unknown tenant), transfers of two legs and payments of three legs
 * (random amounts, some impossible, some exactly to the floor or one unit past it), credit limit changes, posts
 * repeated with the same entry id (with the same or with other legs), and posts whose poster dies at a chosen step
 * (before an apply, before committing, before the journal write, before a settle, before the last move, before an
 * undo of a refused entry), followed sooner or later by clock advances and {@link Accounts#recover()}.
 *
 * <p>The model keeps every account's balance, pending legs and credit limit, every posting's state and the journal,
 * as the design describes them (legs pending, debits first and refused below the floor, entry written after
 * {@code COMMITTED}, then settled; stale {@code PENDING} aborted, {@code COMMITTED} completed). After every step:
 * <ul>
 *   <li>the store equals the model: accounts, postings and their outcome, journal; and every answer was the
 *       model's;</li>
 *   <li>law 4: the audit finds no drift, its minted total is the journal's, and the balances of every account but
 *       the issue account (house and escrow included) add up to the credits minted, as counted by the test from
 *       the mints it saw take effect — with legs in flight, once the legs of committed postings are counted;</li>
 *   <li>no account's balance or available balance is below its floor.</li>
 * </ul>
 */
class MoneyProperties {
    /** Stale after 10 s; final postings are purged after a minute, so that runs reach the purge. */
    static final LedgerSettings SETTINGS = new LedgerSettings(10_000, 60_000, 10_000, 60_000, 86_400);
    static final List<String> TENANTS = List.of("t0", "t1", "t2", "t3");
    static final String GHOST = "ghost";
    /** The accounts a transfer may name: the tenants, house, escrow; the last one does not exist. */
    static final List<String> ACCOUNTS = List.of(Account.ofTenant("t0"), Account.ofTenant("t1"),
            Account.ofTenant("t2"), Account.ofTenant("t3"), Account.HOUSE, Account.ESCROW, Account.ofTenant(GHOST));
    /** A transfer amount meaning: everything down to the floor. */
    static final long ALL = -1;
    /** A transfer amount meaning: one unit more than everything down to the floor. */
    static final long ONE_TOO_MANY = -2;

    // ------------------------------------------------------------------------------------------------ operations

    sealed interface Op permits Mint, Transfer, Split, SetLimit, Repost, Recover {
    }

    /** Mints for {@code TENANTS[tenant]} ({@code tenant == 4}: a tenant that does not exist). */
    record Mint(int tenant, long amount, Death death) implements Op {
    }

    /**
     * Moves {@code amount} (or {@link #ALL}, {@link #ONE_TOO_MANY})
     * from {@code ACCOUNTS[from]} to {@code ACCOUNTS[to]}.
     */
    record Transfer(int from, int to, long amount, Death death) implements Op {
    }

    /** Two payers, one payee: three legs. */
    record Split(int payer1, int payer2, int payee, long amount1, long amount2, Death death) implements Op {
    }

    record SetLimit(int tenant, long limit) implements Op {
    }

    /** Posts the {@code entry}-th latest entry sent so far again, with the same legs or with other legs. */
    record Repost(int entry, boolean otherLegs) implements Op {
    }

    /** Moves the clock, then recovers. */
    record Recover(long millis) implements Op {
    }

    /** What a dying poster throws. */
    static final class Died extends RuntimeException {
        Died() {
            super("the poster died here", null, false, false);
        }
    }

    static final Runnable DIE = () -> {
        throw new Died();
    };

    /** Where a poster dies: just before a step of the posting. */
    enum Step {
        /** Before applying the {@code index}-th leg, debits first. */
        APPLY,
        /** Before moving PENDING to COMMITTED. */
        COMMIT,
        /** Before writing the journal entry. */
        JOURNAL,
        /** Before settling the {@code index}-th leg. */
        SETTLE,
        /** Before moving COMMITTED to POSTED. */
        POSTED,
        /** Before undoing the {@code index}-th leg of a refused entry. */
        UNDO
    }

    /** A poster's death at {@code step} (the leg {@code index} modulo the number of legs). */
    record Death(Step step, int index) {
    }

    @Provide
    Arbitrary<List<Op>> runs() {
        Arbitrary<Death> death = Combinators.combine(Arbitraries.of(Step.class), Arbitraries.integers().between(0, 2))
                .as(Death::new).injectNull(0.6);
        Arbitrary<Long> mintAmount = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.longs().between(1, 1_000)),
                Tuple.of(1, Arbitraries.of(0L, -1L, -1_000L, Accounts.MAX_AMOUNT + 1, Long.MIN_VALUE)),
                Tuple.of(1, Arbitraries.just(Accounts.MAX_AMOUNT)));
        Arbitrary<Long> amount = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.longs().between(1, 300)),
                Tuple.of(2, Arbitraries.longs().between(301, 5_000)),
                Tuple.of(1, Arbitraries.of(ALL, ONE_TOO_MANY)));
        Arbitrary<Integer> account = Arbitraries.frequencyOf(
                Tuple.of(30, Arbitraries.integers().between(0, 5)), Tuple.of(1, Arbitraries.just(6)));
        // counted from the latest entry, mostly the latest ones: those whose poster may just have died
        Arbitrary<Integer> index = Arbitraries.integers().between(0, 60).withDistribution(RandomDistribution.biased());

        Arbitrary<Op> mint = Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(12, Arbitraries.integers().between(0, 3)),
                        Tuple.of(1, Arbitraries.just(4))), mintAmount, death).as(Mint::new);
        Arbitrary<Op> transfer = Combinators.combine(account, account, amount, death).as(Transfer::new);
        Arbitrary<Op> split = Combinators.combine(account, account, account, Arbitraries.longs().between(1, 400),
                Arbitraries.longs().between(1, 400), death).as(Split::new);
        Arbitrary<Op> limit = Combinators.combine(Arbitraries.integers().between(0, 4),
                Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.longs().between(0, 800)),
                        Tuple.of(1, Arbitraries.of(-1L, Accounts.MAX_AMOUNT + 1)))).as(SetLimit::new);
        Arbitrary<Op> repost = Combinators.combine(index, Arbitraries.of(false, false, true)).as(Repost::new);
        Arbitrary<Op> recover = Arbitraries.of(0L, 1_000L, 9_999L, 10_000L, 10_001L, 30_000L, 61_000L)
                .map(Recover::new);
        Arbitrary<Op> op = Arbitraries.frequencyOf(Tuple.of(4, mint), Tuple.of(8, transfer), Tuple.of(3, split),
                Tuple.of(2, limit), Tuple.of(4, repost), Tuple.of(3, recover));
        return op.list().ofMinSize(1).ofMaxSize(40).withSizeDistribution(RandomDistribution.uniform());
    }

    @Property(tries = 200, edgeCases = EdgeCasesMode.NONE) // the edge cases of a list are runs of one op
    void creditsAreConservedAfterEveryStep(@ForAll("runs") List<Op> run) {
        World w = new World();
        w.check();
        for (Op op : run) {
            w.apply(op);
            w.check();
        }
        w.finish();

        Statistics.label("transfer refused").collect(w.refused > 0);
        Statistics.label("poster died before committing").collect(w.diedBeforeCommit > 0);
        Statistics.label("poster died after committing").collect(w.diedAfterCommit > 0);
        Statistics.label("refused poster died undoing").collect(w.diedUndoing > 0);
        Statistics.label("recovery aborted or completed").collect(w.recovered > 0);
        Statistics.label("repost found a posting in progress").collect(w.inProgress > 0);
        Statistics.label("transfer refused").coverage(c -> c.check(true).percentage(p -> p > 50));
        Statistics.label("poster died before committing").coverage(c -> c.check(true).percentage(p -> p > 30));
        Statistics.label("poster died after committing").coverage(c -> c.check(true).percentage(p -> p > 30));
        Statistics.label("refused poster died undoing").coverage(c -> c.check(true).count(n -> n >= 5));
        Statistics.label("recovery aborted or completed").coverage(c -> c.check(true).percentage(p -> p > 30));
        Statistics.label("repost found a posting in progress").coverage(c -> c.check(true).count(n -> n >= 3));
    }

    // ------------------------------------------------------------------------------------------------ the model

    /** A posting as the model knows it. */
    static final class ModelPosting {
        final JournalEntry entry;
        Posting.State state = Posting.State.PENDING;
        Code refusal;
        long updatedAt;

        ModelPosting(JournalEntry entry, long now) {
            this.entry = entry;
            this.updatedAt = now;
        }
    }

    /** What a post answers in the model: a rejection code, {@code null} when accepted, or the poster died. */
    record Answer(Code code, boolean died) {
        static final Answer OK = new Answer(null, false);
        static final Answer DIED = new Answer(null, true);

        static Answer of(Code code) {
            return new Answer(code, false);
        }
    }

    /** The accounts as the design describes them. */
    static final class Model {
        final Map<String, Account.Type> types = new TreeMap<>();
        final Map<String, Long> balance = new TreeMap<>();
        final Map<String, Long> limit = new TreeMap<>();
        final Map<String, TreeMap<String, Long>> pending = new TreeMap<>();
        final Map<String, ModelPosting> postings = new TreeMap<>();
        final Map<String, JournalEntry> journal = new TreeMap<>();

        void open(String id, Account.Type type) {
            types.put(id, type);
            balance.put(id, 0L);
            limit.put(id, 0L);
            pending.put(id, new TreeMap<>());
        }

        long floor(String id) {
            return types.get(id) == Account.Type.ISSUE ? Long.MIN_VALUE : -limit.get(id);
        }

        long available(String id) {
            long a = balance.get(id);
            for (long v : pending.get(id).values()) {
                if (v < 0) {
                    a += v;
                }
            }
            return a;
        }

        static boolean same(JournalEntry a, JournalEntry b) {
            return a.reason() == b.reason() && a.legs().equals(b.legs()) && Objects.equals(a.ref(), b.ref());
        }

        Answer post(JournalEntry e, Death death, long now) {
            JournalEntry written = journal.get(e.id());
            if (written != null) {
                return same(written, e) ? Answer.OK : Answer.of(Code.ALREADY_EXISTS);
            }
            for (Leg l : e.legs()) {
                if (!types.containsKey(l.account())) {
                    return Answer.of(Code.NOT_FOUND);
                }
            }
            ModelPosting existing = postings.get(e.id());
            ModelPosting p = postings.computeIfAbsent(e.id(), id -> new ModelPosting(e, now));
            if (!same(p.entry, e)) {
                return Answer.of(Code.ALREADY_EXISTS);
            }
            if (existing != null && existing.state == Posting.State.PENDING) {
                // its creator applies its legs, no one else: another poster is told to ask again
                return Answer.of(Code.IN_PROGRESS);
            }
            return drive(p, death, now);
        }

        boolean dies(Death death, Step step, int index, int legs) {
            boolean perLeg = step == Step.APPLY || step == Step.SETTLE || step == Step.UNDO;
            return death != null && death.step() == step && (!perLeg || death.index() % legs == index);
        }

        Answer drive(ModelPosting p, Death death, long now) {
            switch (p.state) {
                case POSTED:
                    return Answer.OK;
                case COMMITTED:
                    return complete(p, death, now);
                case REFUSED:
                case ABORTED:
                    return undo(p, death) ? Answer.DIED : Answer.of(p.refusal);
                default:
                    break;
            }
            JournalEntry e = p.entry;
            List<Leg> order = e.debitsFirst();
            for (int k = 0; k < order.size(); k++) {
                if (dies(death, Step.APPLY, k, order.size())) {
                    return Answer.DIED;
                }
                Code refused = apply(order.get(k).account(), e.id(), order.get(k).amount());
                if (refused != null) {
                    p.state = Posting.State.REFUSED;
                    p.refusal = refused;
                    p.updatedAt = now;
                    return undo(p, death) ? Answer.DIED : Answer.of(refused);
                }
            }
            if (dies(death, Step.COMMIT, 0, 1)) {
                return Answer.DIED;
            }
            p.state = Posting.State.COMMITTED;
            p.updatedAt = now;
            return complete(p, death, now);
        }

        Code apply(String account, String entryId, long amount) {
            TreeMap<String, Long> legs = pending.get(account);
            if (legs.containsKey(entryId)) {
                return null;
            }
            try {
                long projected = balance.get(account);
                for (long v : legs.values()) {
                    projected = Math.addExact(projected, v);
                }
                Math.addExact(projected, amount);
                if (amount < 0 && Math.addExact(available(account), amount) < floor(account)) {
                    return Code.INSUFFICIENT_CREDIT;
                }
            } catch (ArithmeticException overflow) {
                return Code.INVALID;
            }
            legs.put(entryId, amount);
            return null;
        }

        Answer complete(ModelPosting p, Death death, long now) {
            JournalEntry e = p.entry;
            if (dies(death, Step.JOURNAL, 0, 1)) {
                return Answer.DIED;
            }
            journal.putIfAbsent(e.id(), e);
            for (int k = 0; k < e.legs().size(); k++) {
                if (dies(death, Step.SETTLE, k, e.legs().size())) {
                    return Answer.DIED;
                }
                settle(e.legs().get(k).account(), e.id());
            }
            if (dies(death, Step.POSTED, 0, 1)) {
                return Answer.DIED;
            }
            p.state = Posting.State.POSTED;
            p.updatedAt = now;
            return Answer.OK;
        }

        void settle(String account, String entryId) {
            Long v = pending.get(account).remove(entryId);
            if (v != null) {
                balance.put(account, balance.get(account) + v);
            }
        }

        /** Undoes every leg of a refused or aborted posting; answers whether the poster died doing it. */
        boolean undo(ModelPosting p, Death death) {
            List<Leg> legs = p.entry.legs();
            for (int k = 0; k < legs.size(); k++) {
                if (dies(death, Step.UNDO, k, legs.size())) {
                    return true;
                }
                pending.get(legs.get(k).account()).remove(p.entry.id());
            }
            return false;
        }

        /** Recovery: stale postings aborted or completed, legs of final postings undone, old final postings purged. */
        int recover(long now) {
            long staleBefore = now - SETTINGS.staleGrantingMillis();
            int done = 0;
            for (ModelPosting p : postings.values()) {
                if (!p.state.isFinal() && p.updatedAt < staleBefore) {
                    if (p.state == Posting.State.PENDING) {
                        p.state = Posting.State.ABORTED;
                        p.refusal = Code.WRONG_STATE;
                        p.updatedAt = now;
                    }
                    drive(p, null, now);
                    done++;
                }
            }
            for (Map.Entry<String, TreeMap<String, Long>> a : pending.entrySet()) {
                for (String entryId : new ArrayList<>(a.getValue().keySet())) {
                    ModelPosting p = postings.get(entryId);
                    assertThat(p).as("a pending leg %s in %s has its posting", entryId, a.getKey()).isNotNull();
                    if (p.state.isFinal() || p.updatedAt < staleBefore) {
                        drive(p, null, now);
                    }
                }
            }
            postings.values().removeIf(p -> p.state.isFinal() && p.updatedAt < now - SETTINGS.retentionMillis());
            return done;
        }
    }

    // ------------------------------------------------------------------------------------------------ the world

    /** An entry sent so far, and how to send it again. */
    record Sent(JournalEntry entry, String mintTenant) {
    }

    /** The store, the accounts over it, the model, and what the test counted. */
    static final class World {
        final MutableClock clock = new MutableClock();
        final InMemoryStore store = new InMemoryStore();
        final Ledger ledger = new Ledger(store, clock, SETTINGS);
        final Accounts accounts = ledger.accounts();
        final Model model = new Model();
        final List<Sent> sent = new ArrayList<>();
        /** Mints the test saw take effect (answered ok, or died after committing), by entry id. */
        final Set<String> mintsCounted = new HashSet<>();
        long minted;
        int next;
        int refused;
        int diedBeforeCommit;
        int diedAfterCommit;
        int diedUndoing;
        int recovered;
        int inProgress;

        World() {
            accounts.openSystemAccounts();
            model.open(Account.HOUSE, Account.Type.HOUSE);
            model.open(Account.ESCROW, Account.Type.ESCROW);
            model.open(Account.ISSUE, Account.Type.ISSUE);
            for (String t : TENANTS) {
                assertThat(ledger.createTenant(t, Map.of()).ok()).isTrue();
                model.open(Account.ofTenant(t), Account.Type.TENANT);
            }
        }

        void apply(Op op) {
            if (op instanceof Mint m) {
                mint(m);
            } else if (op instanceof Transfer t) {
                transfer(t);
            } else if (op instanceof Split s) {
                split(s);
            } else if (op instanceof SetLimit l) {
                setLimit(l);
            } else if (op instanceof Repost r) {
                repost(r);
            } else if (op instanceof Recover r) {
                recover(r.millis());
            } else {
                throw new IllegalArgumentException("unknown op " + op);
            }
        }

        String nextId() {
            return "e" + next++;
        }

        void mint(Mint m) {
            String tenant = m.tenant() < TENANTS.size() ? TENANTS.get(m.tenant()) : GHOST;
            String id = nextId();
            if (m.amount() < 1 || m.amount() > Accounts.MAX_AMOUNT || tenant.equals(GHOST)) {
                Map<String, Account> before = store.accounts().entries();
                Result<JournalEntry> r = accounts.mint(id, tenant, m.amount(), null, null);
                assertThat(r.rejection().code()).isEqualTo(tenant.equals(GHOST) && m.amount() >= 1
                        && m.amount() <= Accounts.MAX_AMOUNT ? Code.NOT_FOUND : Code.INVALID);
                assertThat(store.accounts().entries()).as("a rejected mint changes nothing").isEqualTo(before);
                assertThat(store.postings().get(id)).isNull();
                return;
            }
            JournalEntry e = mintEntry(id, tenant, m.amount());
            sent.add(new Sent(e, tenant));
            post(e, m.death(), false, () -> accounts.mint(id, tenant, m.amount(), null, null),
                    a -> a.mint(id, tenant, m.amount(), null, null));
        }

        JournalEntry mintEntry(String id, String tenant, long amount) {
            return JournalEntry.transfer(id, clock.millis(), Reason.MINT, "credits minted by the operator", null,
                    null, Account.ISSUE, Account.ofTenant(tenant), amount);
        }

        void transfer(Transfer t) {
            int to = t.to() == t.from() ? (t.to() + 1) % 6 : t.to();
            String from = ACCOUNTS.get(t.from());
            long amount = t.amount();
            if (amount == ALL || amount == ONE_TOO_MANY) {
                long all = model.types.containsKey(from) ? model.available(from) - model.floor(from) : 1;
                amount = Math.max(1, amount == ALL ? all : all + 1);
            }
            JournalEntry e = JournalEntry.transfer(nextId(), clock.millis(), Reason.PURCHASE, "a transfer", null,
                    null, from, ACCOUNTS.get(to), amount);
            send(e, t.death());
        }

        void split(Split s) {
            int p1 = s.payer1();
            int p2 = s.payer2() == p1 ? (p1 + 1) % 7 : s.payer2();
            int payee = s.payee();
            while (payee == p1 || payee == p2) {
                payee = (payee + 1) % 7;
            }
            JournalEntry e = new JournalEntry(nextId(), clock.millis(), Reason.LOAN_SETTLEMENT, "a split", null,
                    "loan-" + next, List.of(new Leg(ACCOUNTS.get(p1), -s.amount1()),
                    new Leg(ACCOUNTS.get(p2), -s.amount2()), new Leg(ACCOUNTS.get(payee), s.amount1() + s.amount2())));
            send(e, s.death());
        }

        void send(JournalEntry e, Death death) {
            sent.add(new Sent(e, null));
            post(e, death, false, () -> accounts.post(e), a -> a.post(e));
        }

        /**
         * Posts through the accounts (or, when the poster is to die, through accounts over an intercepting store whose
         * action throws at the chosen step), and compares the answer with the model's.
         */
        void post(JournalEntry e, Death death, boolean repost, Supplier<Result<JournalEntry>> live,
                  Function<Accounts, Result<JournalEntry>> dying) {
            ModelPosting before = model.postings.get(e.id());
            Posting.State stateBefore = before == null ? null : before.state;
            Answer expected = model.post(e, death, clock.millis());
            Result<JournalEntry> r = null;
            boolean died = false;
            if (death == null) {
                r = live.get();
            } else {
                InterceptingStore poster = new InterceptingStore(store);
                dieAt(poster, e, death);
                try {
                    r = dying.apply(new Accounts(poster, clock, SETTINGS));
                } catch (Died crash) {
                    died = true;
                }
                assertThat(poster.allFired()).as("the poster died at %s", death).isEqualTo(died);
            }
            assertThat(died).as("the poster of %s died at %s", e.id(), death).isEqualTo(expected.died());
            if (!died) {
                assertThat(r.rejection() == null ? null : r.rejection().code()).as("the answer to %s", e.id())
                        .isEqualTo(expected.code());
                if (r.ok()) {
                    assertThat(Model.same(r.value(), e)).isTrue();
                }
            }
            ModelPosting after = model.postings.get(e.id());
            if (expected.code() == Code.INSUFFICIENT_CREDIT && stateBefore != Posting.State.REFUSED) {
                refused++;
            }
            if (died) {
                if (after.state == Posting.State.PENDING) {
                    diedBeforeCommit++;
                } else if (after.state.effective()) {
                    diedAfterCommit++;
                } else {
                    diedUndoing++;
                }
            }
            if (repost && expected.code() == Code.IN_PROGRESS) {
                inProgress++;
            }
            if (e.reason() == Reason.MINT && after != null && after.state.effective()
                    && Model.same(after.entry, e) && mintsCounted.add(e.id())) {
                minted += e.amountFor(e.legs().get(1).account());
            }
        }

        static void dieAt(InterceptingStore poster, JournalEntry e, Death death) {
            String id = e.id();
            int n = e.legs().size();
            Runnable die = DIE;
            switch (death.step()) {
                case APPLY -> {
                    String account = e.debitsFirst().get(death.index() % n).account();
                    poster.before("accounts", (k, c) -> k.equals(account) && c instanceof Apply a
                            && a.entryId().equals(id), die);
                }
                case COMMIT -> poster.before("postings", (k, c) -> k.equals(id) && c instanceof Move m
                        && m.to() == Posting.State.COMMITTED, die);
                case JOURNAL -> poster.before("journal", (k, c) -> k.equals(id), die);
                case SETTLE -> {
                    String account = e.legs().get(death.index() % n).account();
                    poster.before("accounts", (k, c) -> k.equals(account) && c instanceof Settle s
                            && s.entryId().equals(id), die);
                }
                case POSTED -> poster.before("postings", (k, c) -> k.equals(id) && c instanceof Move m
                        && m.to() == Posting.State.POSTED, die);
                case UNDO -> {
                    String account = e.legs().get(death.index() % n).account();
                    poster.before("accounts", (k, c) -> k.equals(account) && c instanceof Undo u
                            && u.entryId().equals(id), die);
                }
                default -> throw new IllegalArgumentException("unknown step " + death);
            }
        }

        void setLimit(SetLimit l) {
            String tenant = l.tenant() < TENANTS.size() ? TENANTS.get(l.tenant()) : GHOST;
            Result<Account> r = accounts.setCreditLimit(tenant, l.limit());
            Code expected;
            String id = Account.ofTenant(tenant);
            if (l.limit() < 0 || l.limit() > Accounts.MAX_AMOUNT) {
                expected = Code.INVALID;
            } else if (tenant.equals(GHOST)) {
                expected = Code.NOT_FOUND;
            } else if (model.available(id) < -l.limit()) {
                expected = Code.INSUFFICIENT_CREDIT;
            } else {
                expected = null;
                model.limit.put(id, l.limit());
            }
            assertThat(r.rejection() == null ? null : r.rejection().code()).as("set the limit of %s to %d", tenant,
                    l.limit()).isEqualTo(expected);
        }

        void repost(Repost rp) {
            if (sent.isEmpty()) {
                return;
            }
            Sent s = sent.get(sent.size() - 1 - rp.entry() % sent.size());
            JournalEntry e = rp.otherLegs() ? otherLegs(s.entry()) : s.entry();
            if (s.mintTenant() != null) {
                long amount = e.amountFor(Account.ofTenant(s.mintTenant()));
                if (amount > Accounts.MAX_AMOUNT) {
                    assertThat(accounts.mint(e.id(), s.mintTenant(), amount, null, null).rejection().code())
                            .isEqualTo(Code.INVALID);
                    return;
                }
                JournalEntry m = mintEntry(e.id(), s.mintTenant(), amount);
                post(m, null, true, () -> accounts.mint(e.id(), s.mintTenant(), amount, null, null), null);
            } else {
                post(e, null, true, () -> accounts.post(e), null);
            }
        }

        /** The same entry id, one unit more from the first payer to the first payee. */
        JournalEntry otherLegs(JournalEntry e) {
            List<Leg> legs = new ArrayList<>();
            boolean debited = false;
            boolean credited = false;
            for (Leg l : e.legs()) {
                if (l.amount() < 0 && !debited) {
                    legs.add(new Leg(l.account(), l.amount() - 1));
                    debited = true;
                } else if (l.amount() > 0 && !credited) {
                    legs.add(new Leg(l.account(), l.amount() + 1));
                    credited = true;
                } else {
                    legs.add(l);
                }
            }
            return new JournalEntry(e.id(), clock.millis(), e.reason(), "other legs", null, e.ref(), legs);
        }

        void recover(long millis) {
            clock.advanceMillis(millis);
            int expected = model.recover(clock.millis());
            assertThat(accounts.recover()).as("postings recovered").isEqualTo(expected);
            recovered += expected;
            // a mint completed by recovery has now taken effect
            for (Sent s : sent) {
                ModelPosting p = model.postings.get(s.entry().id());
                if (s.mintTenant() != null && p != null && p.state.effective() && mintsCounted.add(p.entry.id())) {
                    minted += p.entry.amountFor(Account.ofTenant(s.mintTenant()));
                }
            }
        }

        /** The store equals the model; law 4; floors. */
        void check() {
            Map<String, Account> live = store.accounts().entries();
            assertThat(live.keySet()).as("accounts").isEqualTo(model.types.keySet());
            long effective = 0;
            for (Account a : live.values()) {
                String id = a.id();
                assertThat(a.type()).isEqualTo(model.types.get(id));
                assertThat(a.balance()).as("balance of %s", id).isEqualTo(model.balance.get(id));
                assertThat(a.pending()).as("pending legs of %s", id).isEqualTo(model.pending.get(id));
                assertThat(a.creditLimit()).as("credit limit of %s", id).isEqualTo(model.limit.get(id));
                assertThat(a.balance()).as("%s balance above its floor", id).isGreaterThanOrEqualTo(a.floor());
                assertThat(a.available()).as("%s available above its floor", id).isGreaterThanOrEqualTo(a.floor());
                if (a.type() != Account.Type.ISSUE) {
                    effective += a.balance();
                    for (Map.Entry<String, Long> leg : a.pending().entrySet()) {
                        Posting p = store.postings().get(leg.getKey());
                        if (p != null && p.state().effective()) {
                            effective += leg.getValue();
                        }
                    }
                }
            }
            Map<String, Posting> postings = store.postings().entries();
            assertThat(postings.keySet()).as("postings").isEqualTo(model.postings.keySet());
            postings.forEach((id, p) -> {
                ModelPosting m = model.postings.get(id);
                assertThat(p.state()).as("posting %s", id).isEqualTo(m.state);
                assertThat(p.refusal() == null ? null : p.refusal().code()).as("refusal of %s", id)
                        .isEqualTo(m.refusal);
                assertThat(p.entry()).isEqualTo(m.entry);
            });
            assertThat(store.journal().entries()).as("journal").isEqualTo(model.journal);

            Accounts.Audit audit = accounts.audit();
            assertThat(audit.drift()).as("audit").isEmpty();
            long inJournal = model.journal.values().stream().filter(e -> e.reason() == Reason.MINT)
                    .mapToLong(e -> -e.amountFor(Account.ISSUE)).sum();
            assertThat(audit.minted()).as("minted, from the journal").isEqualTo(inJournal);
            assertThat(effective).as("law 4: balances and committed legs add up to the credits the test saw minted")
                    .isEqualTo(minted);
            if (audit.inFlight() == 0) {
                assertThat(audit.total()).as("law 4: balances add up to what was minted").isEqualTo(minted);
                assertThat(audit.minted()).isEqualTo(minted);
            }
        }

        /** Recovers everything: nothing may be left in flight, and the balances add up. */
        void finish() {
            recover(SETTINGS.staleGrantingMillis() + 1);
            check();
            Accounts.Audit audit = accounts.audit();
            assertThat(audit.inFlight()).isZero();
            assertThat(audit.total()).isEqualTo(minted);
            assertThat(model.postings.values()).allMatch(p -> p.state.isFinal());
        }
    }
}
