package io.ichiba.ledger.store;

import io.ichiba.ledger.IdempotencyRecord;
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
import io.ichiba.ledger.tenant.Principal;
import io.ichiba.ledger.tenant.TenantState;

/** A {@link Store} whose tables all come from one factory, by name: what the concrete stores share. */
public abstract class TableStore implements Store {

    /** The names of every table, in the order they are made. */
    public static final java.util.List<String> NAMES = java.util.List.of("nodes", "locks", "tenants", "claims", "jobs",
            "principals", "agents", "kinds", "idempotency", "accounts", "journal", "books", "orders",
            "loans", "reservations", "bindings", "deliveries", "deadLetters", "cursors", "alerts",
            "actions");

    /** Makes the table of a name. */
    protected interface Tables {
        /** Returns the table called {@code name}. */
        <V> Table<V> table(String name);
    }

    private final Table<NodeState> nodes;
    private final Table<LockState> locks;
    private final Table<TenantState> tenants;
    private final Table<Claim> claims;
    private final Table<Job> jobs;
    private final Table<Principal> principals;
    private final Table<AgentRecord> agents;
    private final Table<KindDef> kinds;
    private final Table<IdempotencyRecord> idempotency;
    private final Table<Account> accounts;
    private final Table<JournalEntry> journal;
    private final Table<Book> books;
    private final Table<OrderRef> orders;
    private final Table<Loan> loans;
    private final Table<Reservation> reservations;
    private final Table<Binding> bindings;
    private final Table<Delivery> deliveries;
    private final Table<DeadLetter> deadLetters;
    private final Table<HandlerCommands.Cursor> cursors;
    private final Table<PriceAlert> alerts;
    private final Table<io.ichiba.ledger.audit.OperatorAction> actions;

    private final java.util.Map<String, Table<?>> byName = new java.util.LinkedHashMap<>();

    /** Returns the table called {@code name} (one of {@link #NAMES}), for tools and tests that go by name. */
    @SuppressWarnings("unchecked")
    public Table<Object> table(String name) {
        Table<?> t = byName.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no table " + name + "; tables: " + NAMES);
        }
        return (Table<Object>) t;
    }

    /** Creates every table through {@code tables}. */
    protected TableStore(Tables tables) {
        this.nodes = tables.table("nodes");
        byName.put("nodes", this.nodes);
        this.locks = tables.table("locks");
        byName.put("locks", this.locks);
        this.tenants = tables.table("tenants");
        byName.put("tenants", this.tenants);
        this.claims = tables.table("claims");
        byName.put("claims", this.claims);
        this.jobs = tables.table("jobs");
        byName.put("jobs", this.jobs);
        this.principals = tables.table("principals");
        byName.put("principals", this.principals);
        this.agents = tables.table("agents");
        byName.put("agents", this.agents);
        this.kinds = tables.table("kinds");
        byName.put("kinds", this.kinds);
        this.idempotency = tables.table("idempotency");
        byName.put("idempotency", this.idempotency);
        this.accounts = tables.table("accounts");
        byName.put("accounts", this.accounts);
        this.journal = tables.table("journal");
        byName.put("journal", this.journal);
        this.books = tables.table("books");
        byName.put("books", this.books);
        this.orders = tables.table("orders");
        byName.put("orders", this.orders);
        this.loans = tables.table("loans");
        byName.put("loans", this.loans);
        this.reservations = tables.table("reservations");
        byName.put("reservations", this.reservations);
        this.bindings = tables.table("bindings");
        byName.put("bindings", this.bindings);
        this.deliveries = tables.table("deliveries");
        byName.put("deliveries", this.deliveries);
        this.deadLetters = tables.table("deadLetters");
        byName.put("deadLetters", this.deadLetters);
        this.cursors = tables.table("cursors");
        byName.put("cursors", this.cursors);
        this.alerts = tables.table("alerts");
        byName.put("alerts", this.alerts);
        this.actions = tables.table("actions");
        byName.put("actions", this.actions);
    }

    @Override
    public Table<NodeState> nodes() {
        return nodes;
    }

    @Override
    public Table<LockState> locks() {
        return locks;
    }

    @Override
    public Table<TenantState> tenants() {
        return tenants;
    }

    @Override
    public Table<Claim> claims() {
        return claims;
    }

    @Override
    public Table<Job> jobs() {
        return jobs;
    }

    @Override
    public Table<Principal> principals() {
        return principals;
    }

    @Override
    public Table<AgentRecord> agents() {
        return agents;
    }

    @Override
    public Table<KindDef> kinds() {
        return kinds;
    }

    @Override
    public Table<IdempotencyRecord> idempotency() {
        return idempotency;
    }

    @Override
    public Table<Account> accounts() {
        return accounts;
    }

    @Override
    public Table<JournalEntry> journal() {
        return journal;
    }

    @Override
    public Table<Book> books() {
        return books;
    }

    @Override
    public Table<OrderRef> orders() {
        return orders;
    }

    @Override
    public Table<Loan> loans() {
        return loans;
    }

    @Override
    public Table<Reservation> reservations() {
        return reservations;
    }

    @Override
    public Table<Binding> bindings() {
        return bindings;
    }

    @Override
    public Table<Delivery> deliveries() {
        return deliveries;
    }

    @Override
    public Table<DeadLetter> deadLetters() {
        return deadLetters;
    }

    @Override
    public Table<HandlerCommands.Cursor> cursors() {
        return cursors;
    }

    @Override
    public Table<PriceAlert> alerts() {
        return alerts;
    }

    @Override
    public Table<io.ichiba.ledger.audit.OperatorAction> actions() {
        return actions;
    }
}
