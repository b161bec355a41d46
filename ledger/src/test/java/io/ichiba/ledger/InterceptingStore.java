package io.ichiba.ledger;

import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.JournalEntry;
import io.ichiba.ledger.handler.Binding;
import io.ichiba.ledger.handler.DeadLetter;
import io.ichiba.ledger.handler.Delivery;
import io.ichiba.ledger.handler.HandlerCommands;
import io.ichiba.ledger.handler.PriceAlert;
import io.ichiba.ledger.job.Job;
import io.ichiba.ledger.market.Book;
import io.ichiba.ledger.market.Loan;
import io.ichiba.ledger.market.OrderRef;
import io.ichiba.ledger.pool.AgentRecord;
import io.ichiba.ledger.pool.KindDef;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.reservation.Reservation;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.store.Table;
import io.ichiba.ledger.tenant.Principal;
import io.ichiba.ledger.tenant.TenantState;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiPredicate;
import java.util.function.Consumer;

/**
 * A store that delegates everything, and runs a test's action just before a chosen command reaches its key:
 * the way a test makes something happen in the middle of a grant (a report, a cancel, another grant) without
 * threads or timing.
 *
 * <p>Each interception fires once, and is removed before its action runs, so the action may use the store.
 */
public final class InterceptingStore implements Store {
    private final Store inner;
    private final List<Interception> pending = new CopyOnWriteArrayList<>();

    private record Interception(String table, BiPredicate<String, Command<?, ?>> when, Runnable action) {
    }

    /** Wraps {@code inner}. */
    public InterceptingStore(Store inner) {
        this.inner = inner;
    }

    /** Returns the wrapped store. */
    public Store inner() {
        return inner;
    }

    /**
     * Runs {@code action} once, just before the first command on table {@code table} ({@code nodes}, {@code locks},
     * {@code tenants}, {@code claims}) for which {@code when} holds.
     */
    public void before(String table, BiPredicate<String, Command<?, ?>> when, Runnable action) {
        pending.add(new Interception(table, when, action));
    }

    /** Whether every interception has fired. */
    public boolean allFired() {
        return pending.isEmpty();
    }

    private void fire(String table, String key, Command<?, ?> command) {
        for (Interception i : pending) {
            if (i.table().equals(table) && i.when().test(key, command) && pending.remove(i)) {
                i.action().run();
                return;
            }
        }
    }

    @Override
    public io.ichiba.ledger.store.Timer every(String name, java.time.Duration period, Runnable body) {
        return inner.every(name, period, body);
    }

    @Override
    public Table<NodeState> nodes() {
        return new Intercepted<>("nodes", inner.nodes());
    }

    @Override
    public Table<LockState> locks() {
        return new Intercepted<>("locks", inner.locks());
    }

    @Override
    public Table<TenantState> tenants() {
        return new Intercepted<>("tenants", inner.tenants());
    }

    @Override
    public Table<Claim> claims() {
        return new Intercepted<>("claims", inner.claims());
    }

    @Override
    public Table<Account> accounts() {
        return new Intercepted<>("accounts", inner.accounts());
    }

    @Override
    public Table<JournalEntry> journal() {
        return new Intercepted<>("journal", inner.journal());
    }

    @Override
    public Table<Book> books() {
        return new Intercepted<>("books", inner.books());
    }

    @Override
    public Table<OrderRef> orders() {
        return new Intercepted<>("orders", inner.orders());
    }

    @Override
    public Table<Loan> loans() {
        return new Intercepted<>("loans", inner.loans());
    }

    @Override
    public Table<Binding> bindings() {
        return new Intercepted<>("bindings", inner.bindings());
    }

    @Override
    public Table<Delivery> deliveries() {
        return new Intercepted<>("deliveries", inner.deliveries());
    }

    @Override
    public Table<DeadLetter> deadLetters() {
        return new Intercepted<>("deadLetters", inner.deadLetters());
    }

    @Override
    public Table<HandlerCommands.Cursor> cursors() {
        return new Intercepted<>("cursors", inner.cursors());
    }

    @Override
    public io.ichiba.ledger.store.EventLog events() {
        return inner.events();
    }

    @Override
    public Table<Reservation> reservations() {
        return new Intercepted<>("reservations", inner.reservations());
    }

    @Override
    public Table<PriceAlert> alerts() {
        return new Intercepted<>("alerts", inner.alerts());
    }

    @Override
    public Table<io.ichiba.ledger.audit.OperatorAction> actions() {
        return new Intercepted<>("actions", inner.actions());
    }

    @Override
    public Table<Principal> principals() {
        return inner.principals();
    }

    @Override
    public Table<AgentRecord> agents() {
        return inner.agents();
    }

    @Override
    public Table<Job> jobs() {
        return inner.jobs();
    }

    @Override
    public Table<KindDef> kinds() {
        return inner.kinds();
    }

    @Override
    public Table<IdempotencyRecord> idempotency() {
        return inner.idempotency();
    }

    @Override
    public <R> R atomically(java.util.function.Supplier<R> work) {
        return inner.atomically(work);
    }

    @Override
    public void close() {
        inner.close();
    }

    private final class Intercepted<V> implements Table<V> {
        private final String name;
        private final Table<V> table;

        Intercepted(String name, Table<V> table) {
            this.name = name;
            this.table = table;
        }

        @Override
        public V get(String key) {
            return table.get(key);
        }

        @Override
        public <R> R execute(String key, Command<V, R> command) {
            if (!pending.isEmpty()) {
                fire(name, key, command);
            }
            return table.execute(key, command);
        }

        @Override
        public Map<String, V> entries() {
            return table.entries();
        }

        @Override
        public Collection<V> values(Filter<V> filter) {
            return table.values(filter);
        }

        @Override
        public Collection<String> localKeys(Filter<V> filter) {
            return table.localKeys(filter);
        }

        @Override
        public void listen(Consumer<V> listener) {
            table.listen(listener);
        }

        @Override
        public void listenLocal(Consumer<V> listener) {
            table.listenLocal(listener);
        }
    }
}
