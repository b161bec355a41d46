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

/**
 * Where the ledger's state lives: one {@link Table} per aggregate, each change atomic on one key.
 *
 * <p>The engine's store ({@code EngineStore}) keeps the tables on its thread, journals each batch of commands and writes
 * the tables behind it.
 */
public interface Store extends AutoCloseable {

    /** Nodes and their pools, by node id. */
    Table<NodeState> nodes();

    /** Locks, by name. */
    Table<LockState> locks();

    /** Tenants and their quota holdings, by tenant id. */
    Table<TenantState> tenants();

    /** Claims, by claim id. */
    Table<Claim> claims();

    /** Jobs, by job id (which is also their claim's id). */
    Table<Job> jobs();

    /** Principals, by the SHA-256 hash of their token. */
    Table<Principal> principals();

    /** Agents, by node id. */
    Table<AgentRecord> agents();

    /** Operator-defined kinds, by name. */
    Table<KindDef> kinds();

    /** Credit accounts, by account id ({@code tenant:<id>}, {@code house}, {@code escrow}, {@code issue}). */
    Table<Account> accounts();


    /** The journal: entries written once, by entry id. */
    Table<JournalEntry> journal();

    /** The market of each kind (mutable: changed and read only through commands), by kind. */
    Table<Book> books();

    /** Where each order lives, by order id. */
    Table<OrderRef> orders();

    /** Loans made by trades, by loan id. */
    Table<Loan> loans();

    /** Handler bindings, by binding id. */
    Table<Binding> bindings();

    /** Deliveries of events to their owners' handlers, by delivery id. */
    Table<Delivery> deliveries();

    /** Deliveries that exhausted their attempts, by dead-letter id. */
    Table<DeadLetter> deadLetters();

    /** Cursors in the event log (the dispatcher's), by name. */
    Table<HandlerCommands.Cursor> cursors();

    /** Advance reservations, by reservation id. */
    Table<Reservation> reservations();

    /** Tenants' price alerts on spot prices, by alert id. */
    Table<PriceAlert> alerts();

    /** The audit trail of the operator's and agents' actions, by {@link io.ichiba.ledger.audit.OperatorAction#id}. */
    Table<io.ichiba.ledger.audit.OperatorAction> actions();

    /** The event log: what happened, in order, kept for a bounded time for replay. */
    EventLog events();

    /** First answers to requests with an idempotency key, by caller and key. */
    Table<IdempotencyRecord> idempotency();

    /**
     * Runs {@code work}, a whole operation of the ledger over several tables, as one change: the engine's store
     * journals all of its changes in one batch or none. A store that wraps another (tests) runs it there.
     */
    default <R> R atomically(java.util.function.Supplier<R> work) {
        return work.get();
    }

    /**
     * Runs {@code op} as one change against the context of the member whose engine runs (the engine's store sends it
     * there as a value); by default it runs here against {@code here}, like {@link #atomically}.
     *
     * @param here the context of this member, which {@link #bind} registered
     */
    default <C, R> R atomically(C here, Operation<C, R> op) {
        return atomically(() -> op.run(here));
    }

    /**
     * Runs {@code work} as one command of an engine that runs on this member, without holding the caller's thread: the
     * future completes once the command's batch is journaled (with {@code NotEngineException} if the engine stopped
     * first, nothing applied). {@code null} when no engine runs here: then run {@code work} where a thread may wait.
     * {@code work} runs on the engine's thread: it must not wait for anything.
     */
    default <R> java.util.concurrent.CompletableFuture<R> submitLocal(java.util.function.Supplier<R> work) {
        return null;
    }

    /**
     * Runs {@code body} every {@code period} (a fixed delay between runs), where the store keeps its state, until the
     * answer is closed or the store is. The engine's store runs it on the engine's thread, by the engine's clock, only
     * while the engine runs on this member: the run is part of a batch, and each operation the body runs through
     * {@link #atomically} is a command of its own (one that throws leaves nothing, the others stay), all journaled
     * together.
     *
     * @param name   what the work is (logs, metrics): a constant, not a value
     * @param period the time between runs
     * @param body   the work; on the engine it must not wait for anything
     */
    Timer every(String name, java.time.Duration period, Runnable body);

    /**
     * How many reads this member has answered from its last view instead of the engine's state since it started: a
     * member cut off from a majority answers reads from the state written behind, which may miss the newest records.
     * A change whose check read such a view cannot tell "there is no such record" from "this member has not seen it",
     * so the HTTP edge answers it 503 when this count moved while it ran. Always 0 where every read is the engine's.
     */
    default long laggingReads() {
        return 0;
    }

    /** Registers the context that operations sent to this member run against (the ledger over this store). */
    default void bind(Object context) {
    }

    /**
     * The clock the ledger over this store reads, given this member's: the member's own, or the engine's, which
     * every deadline is set and checked by wherever the engine runs.
     */
    default java.time.Clock clock(java.time.Clock memberClock) {
        return memberClock;
    }

    @Override
    void close();
}
