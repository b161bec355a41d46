package io.ichiba.ledger.engine;

import io.ichiba.ledger.journal.Change;
import io.ichiba.ledger.journal.Journal;
import io.ichiba.ledger.store.EventLog;
import io.ichiba.ledger.store.Operation;
import io.ichiba.ledger.store.Table;
import io.ichiba.ledger.store.TableStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The ledger's {@link io.ichiba.ledger.store.Store} kept by one {@link Engine}: every table's records live in the
 * engine's memory, every change is a command on its thread, journaled in batches before anyone sees it.
 *
 * <pre>
 *   engine thread ──────────────▶ the tables, inline (within the running command)
 *   another thread, engine here ─▶ writes: a command in the next batch; reads: the journaled records
 *   another member ─────────────▶ Remote: the call is sent to the engine's member and run there
 * </pre>
 *
 * <p>{@link #atomically} runs a whole operation of the ledger (a grant's holds on a tenant, a node and its locks; a
 * claim's end and the return of its tokens) as one command: all of its changes are journaled in one batch or none
 * are, with no protocol to finish or undo after a crash.
 */
public final class EngineStore extends TableStore {
    private static final Logger LOG = LoggerFactory.getLogger(EngineStore.class);
    /** The key under which a member's engine store is found in Hazelcast's user context. */
    public static final String CONTEXT_KEY = "ichiba.engineStore";
    /**
     * The engine's own table of the answers to operations sent from other members, by operation id: an operation
     * sent again (its engine's member died after journaling it, before answering) is answered, not run twice.
     */
    public static final String OPERATIONS = "operations";
    /** Every table the engine journals: the ledger's (a market's book as its parts), and its own. */
    public static final List<String> TABLES = java.util.stream.Stream.concat(TableStore.NAMES.stream(),
            java.util.stream.Stream.of(io.ichiba.ledger.market.Book.ORDERS, io.ichiba.ledger.market.Book.PRICES, OPERATIONS))
            .toList();
    /** How long the answer to an operation sent from another member is kept for a retry. */
    static final Duration ANSWERS_KEPT = Duration.ofSeconds(120);

    /**
     * How long a call waits for a majority before this member counts itself cut off: a member that just started,
     * or just saw a member leave, reads its split-brain protection as unmet until the next heartbeats (1 s).
     */
    static final Duration CUT_OFF_PATIENCE = Duration.ofSeconds(3);

    private final java.util.concurrent.atomic.LongAdder laggingReads = new java.util.concurrent.atomic.LongAdder();
    private final Registry registry;
    private final Engine engine;
    private final EngineListener listener;
    private final EngineClock clock;
    private final Table<Answered> answers;
    private long sinceAnswersPurged;
    private final EventLog events;
    private final Remote remote;
    private final Duration patience;
    private final List<AutoCloseable> closing = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** What operations sent here run against: the ledger over this store. */
    private volatile Object context;

    /**
     * Creates the store with a stopped engine over {@code journal}; {@link Engine#activate} starts it.
     *
     * @param journal  where batches are journaled
     * @param events   the event log
     * @param remote   how to reach the engine on another member, or {@code null} when there is no other
     * @param listener the engine's observer
     * @param patience how long a call waits for an engine (moving, starting) before it fails
     */
    public EngineStore(Journal journal, EventLog events, Remote remote, EngineListener listener, Duration patience) {
        this(new Registry(), journal, events, remote, listener, patience);
    }

    private EngineStore(Registry registry, Journal journal, EventLog events, Remote remote, EngineListener listener,
                        Duration patience) {
        super(registry);
        this.registry = registry;
        this.events = events;
        this.remote = remote;
        this.patience = patience;
        this.listener = listener;
        this.clock = new EngineClock(null);
        this.engine = new Engine(journal, registry, new EngineListener() {
            @Override
            public void journaled(int commands, int records, long appendNanos) {
                listener.journaled(commands, records, appendNanos);
            }

            @Override
            public void tookOver(long epoch) {
                registry.followEngine();
                listener.tookOver(epoch);
            }

            @Override
            public void stopped(String why) {
                registry.followEngine();
                listener.stopped(why);
            }

            @Override
            public void operationServed(boolean again) {
                listener.operationServed(again);
            }

            @Override
            public void timerRan(String name, long nanos, boolean ok) {
                listener.timerRan(name, nanos, ok);
            }

            @Override
            public void published(List<Object> events) {
                listener.published(events);
            }
        }, clock, "ichiba-engine");
        registry.bind(this);
        this.answers = registry.table(OPERATIONS);
    }

    /** The answer to an operation sent from another member, and when (engine time) it was given. */
    record Answered(Object answer, long at) implements java.io.Serializable {
    }

    /** Whether this member's listeners are registered on the state written behind (while the engine is elsewhere). */
    boolean listeningBehind() {
        return registry.listeningBehind();
    }

    /** Every committed record, by journal table and key (engine thread only: run it as a command): for tests. */
    Map<String, Map<String, Object>> committedState() {
        return registry.snapshot();
    }

    /** The engine. */
    public Engine engine() {
        return engine;
    }

    @Override
    public EventLog events() {
        return events;
    }

    /**
     * Runs {@code work} as one command of the engine: its changes to every table are journaled together, or none
     * are. On a member whose engine does not run, {@code work} runs here, each of its table calls sent to the
     * engine on its own.
     */
    @Override
    public <R> R atomically(Supplier<R> work) {
        if (engine.onEngineThread()) {
            return engine.step(work);
        }
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            failIfDatabaseDown();
            if (engine.active()) {
                try {
                    return engine.call(work);
                } catch (NotEngineException moved) {
                    // stopped between the test and the call: nothing applied
                }
            } else if (remote != null) {
                return work.get(); // each table call sent to the engine on its own
            }
            pause(deadline, "no engine to run an operation");
        }
    }

    /**
     * Runs {@code op} as one command of the engine, wherever it runs: here against {@code here}, or sent as a value
     * to the engine's member and run there against the context {@link #bind} registered on it.
     */
    @Override
    public <C, R> R atomically(C here, Operation<C, R> op) {
        assert serializes(op) : "an operation must capture only values that serialize: " + op;
        if (engine.onEngineThread()) {
            return engine.step(() -> op.run(here));
        }
        String[] id = new String[1]; // made when first sent, the same on every retry: answered once, run once
        return reach(() -> engine.call(() -> op.run(here)), r -> {
            if (id[0] == null) {
                id[0] = java.util.UUID.randomUUID().toString();
            }
            return r.operate(id[0], op);
        }, null, "an operation");
    }

    @Override
    public <R> java.util.concurrent.CompletableFuture<R> submitLocal(Supplier<R> work) {
        return engine.active() && !engine.onEngineThread() ? engine.submit(work) : null;
    }

    /**
     * Runs {@code body} on the engine's thread, by its clock, while the engine runs on this member ({@link
     * Engine#every}): the timers move with the engine.
     */
    @Override
    public io.ichiba.ledger.store.Timer every(String name, Duration period, Runnable body) {
        return engine.every(name, period.toMillis(), body);
    }

    @Override
    public long laggingReads() {
        return laggingReads.sum();
    }

    @Override
    public void bind(Object context) {
        this.context = context;
    }

    /**
     * The engine's clock over {@code memberClock}: the one clock of the ledger, carried across takeovers through the
     * journal ({@link EngineClock}).
     */
    @Override
    public java.time.Clock clock(java.time.Clock memberClock) {
        clock.rebase(memberClock);
        return clock;
    }

    /** Runs a call sent from another thread or member: writes as a command, reads from the journaled records. */
    <R> R route(String table, TableCall<R> call) {
        return reach(() -> runHere(table, call), r -> r.call(table, call),
                call.writes() ? null : () -> remote.readBehind(table, call), "a call on " + table);
    }

    /**
     * Reaches the engine: runs {@code here} while it runs on this member, else {@code there} through the remote,
     * waiting (up to the patience) for an engine that moves or starts. A member cut off from a majority answers
     * {@code cutOff} (a read from the state written behind), or refuses when there is none (a write).
     */
    private <R> R reach(Supplier<R> here, java.util.function.Function<Remote, R> there, Supplier<R> cutOff,
                        String what) {
        long start = System.nanoTime();
        long deadline = start + patience.toNanos();
        while (true) {
            failIfDatabaseDown();
            if (engine.active()) {
                try {
                    return here.get();
                } catch (NotEngineException moved) {
                    // stopped between the test and the call: nothing applied
                }
            } else if (remote != null && !remote.quorum()) {
                if (System.nanoTime() - start > CUT_OFF_PATIENCE.toNanos()) {
                    if (cutOff != null) {
                        laggingReads.increment();
                        return cutOff.get(); // cut off: the last state this member saw
                    }
                    throw new EngineUnavailableException("this member is cut off from a majority of the cluster: "
                            + "it changes nothing", null);
                }
                // not yet known to be cut off: wait for the next heartbeats rather than call a member that left
            } else if (remote != null) {
                try {
                    return there.apply(remote);
                } catch (NotEngineException moved) {
                    // the member asked is not the engine (any more): ask again
                }
            }
            pause(deadline, "no engine for " + what);
        }
    }

    /**
     * Serves a call that another member sent here: runs it if this member's engine runs, after waiting a little
     * for an engine that is taking over.
     *
     * @throws NotEngineException the engine does not run here
     */
    public <R> R serve(String table, TableCall<R> call) {
        awaitActive();
        return runHere(table, call);
    }

    /**
     * Serves an operation that another member sent here: runs it as one command against this member's context.
     *
     * @throws NotEngineException the engine does not run here
     */
    public <R> R serve(String id, Operation<Object, R> op) {
        awaitActive();
        Object here = context;
        if (here == null) {
            throw new NotEngineException("no ledger is bound to this member's store yet");
        }
        return engine.call(() -> once(id, () -> op.run(here)));
    }

    /**
     * As {@link #serve(String, Operation)}, without holding the caller's thread: the future completes once the
     * operation's batch is journaled, with {@link NotEngineException} (nothing applied) if the engine does not run here
     * or stopped first. For transports that answer when the future completes (the broker's event bus).
     */
    public <R> java.util.concurrent.CompletableFuture<R> serveLocal(String id, Operation<Object, R> op) {
        Object here = context;
        try {
            failIfDatabaseDown();
        } catch (EngineUnavailableException down) {
            return java.util.concurrent.CompletableFuture.failedFuture(down);
        }
        if (!engine.active() || here == null) {
            return java.util.concurrent.CompletableFuture.failedFuture(
                    new NotEngineException("the engine does not run on this member"));
        }
        return engine.submit(() -> once(id, () -> op.run(here)));
    }

    /**
     * Runs {@code work} as operation {@code id} unless it ran already: then answers what it answered (the answer is
     * journaled with the operation's changes, so a new engine knows it too). Answers are kept
     * {@link #ANSWERS_KEPT}; engine thread only.
     */
    @SuppressWarnings("unchecked")
    private <R> R once(String id, Supplier<R> work) {
        Answered before = answers.get(id);
        if (before != null) {
            LOG.info("operation {} arrived again: answered as the first time, not run twice", id);
            listener.operationServed(true);
            return (R) before.answer();
        }
        R r = work.get();
        listener.operationServed(false);
        long now = clock.millis();
        answers.execute(id, current -> io.ichiba.ledger.Command.Outcome.write(new Answered(r, now), null));
        if (++sinceAnswersPurged >= 1024) {
            sinceAnswersPurged = 0;
            long keptSince = now - ANSWERS_KEPT.toMillis();
            for (String old : answers.localKeys(a -> a.at() < keptSince)) {
                answers.execute(old, current -> io.ichiba.ledger.Command.Outcome.write(null, null));
            }
        }
        return r;
    }

    /**
     * Fails at once while this member's engine cannot start because the journal's database is away: nothing can be
     * journaled until it answers, so waiting for the patience would only hold the caller (the HTTP edge answers 503
     * {@code DATABASE_UNAVAILABLE} at once, and the engine starts again by itself once the database answers).
     */
    private void failIfDatabaseDown() {
        io.ichiba.ledger.journal.DatabaseUnavailableException down = engine.databaseDown();
        if (down != null && !engine.active()) {
            throw new EngineUnavailableException("the journal's database is unavailable: nothing can be journaled "
                    + "until it answers", down);
        }
    }

    private void awaitActive() {
        failIfDatabaseDown();
        long deadline = System.nanoTime() + Math.min(patience.toNanos(), Duration.ofSeconds(2).toNanos());
        while (!engine.active()) {
            if (System.nanoTime() > deadline) {
                throw new NotEngineException("the engine does not run on this member");
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }

    private static boolean serializes(Object op) {
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(java.io.OutputStream.nullOutputStream())) {
            out.writeObject(op);
            return true;
        } catch (java.io.IOException e) {
            LOG.error("operation {} does not serialize: {}", op, e.toString());
            return false;
        }
    }

    @SuppressWarnings("unchecked")
    private <R> R runHere(String table, TableCall<R> call) {
        Layered t = registry.named(table);
        if (call instanceof TableCall.Execute<R> e) {
            return engine.call(() -> e.on((Table<Object>) t));
        }
        if (!engine.active()) {
            throw new NotEngineException("the engine does not run on this member");
        }
        return t.readCommitted(call);
    }

    private static void pause(long deadline, String what) {
        if (System.nanoTime() > deadline) {
            throw new EngineUnavailableException(what + " in time", null);
        }
        LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }

    /** Closes {@code also} when this store closes, before the engine (what drives the engine from outside). */
    public void closeAlso(AutoCloseable also) {
        closing.add(also);
    }

    @Override
    public void close() {
        for (AutoCloseable c : closing) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing {}: {}", c, e.toString());
            }
        }
        engine.close();
        registry.closeListening();
    }

    /** The tables by name, and the steps the engine takes on all of them. */
    static final class Registry implements Tables {
        /** The tables by each name they journal under (a market's books under three). */
        private final Map<String, Layered> tables = new LinkedHashMap<>();
        private final Set<Layered> distinct = new LinkedHashSet<>();
        /** Tables the running command changed; engine thread only. */
        private final List<Layered> inCommand = new ArrayList<>();
        /** Tables the running batch changed; engine thread only. */
        private final Set<Layered> inBatch = new LinkedHashSet<>();
        private EngineStore store;

        @Override
        @SuppressWarnings("unchecked")
        public <V> Table<V> table(String name) {
            Layered t = name.equals(io.ichiba.ledger.market.Book.HEADS) ? new BookTable(this)
                    : new EngineTable<V>(name, this);
            t.names().forEach(n -> tables.put(n, t));
            distinct.add(t);
            return (Table<V>) t;
        }

        void bind(EngineStore s) {
            this.store = s;
        }

        EngineStore store() {
            return store;
        }

        Engine engine() {
            return store.engine;
        }

        Layered named(String name, boolean required) {
            Layered t = tables.get(name);
            if (t == null && required) {
                throw new IllegalArgumentException("no table " + name);
            }
            return t;
        }

        Layered named(String name) {
            return named(name, true);
        }

        void touched(Layered t) {
            inCommand.add(t);
        }

        /** The events the running batch's commands emitted, in order; engine thread only. */
        private final List<Object> batchEvents = new ArrayList<>();

        /**
         * Keeps the running command's changes in the batch, and the events its records emitted with the batch's;
         * answers whether it changed anything.
         */
        boolean commitCommand() {
            if (inCommand.isEmpty()) {
                return false;
            }
            for (Layered t : inCommand) {
                t.drainEvents(batchEvents);
                t.commitCommand();
                inBatch.add(t);
            }
            inCommand.clear();
            return true;
        }

        /** The events of the running batch, in the order its commands emitted them. */
        List<Object> events() {
            return batchEvents;
        }

        /**
         * Appends {@code events} (a journaled batch's) to the event log, in order, in one call.
         *
         * @throws RuntimeException the log could not be written
         */
        void publish(List<Object> events) {
            if (events.isEmpty()) {
                return;
            }
            List<io.ichiba.ledger.event.Event> out = new ArrayList<>(events.size());
            for (Object e : events) {
                out.add((io.ichiba.ledger.event.Event) e);
            }
            store.events().appendAll(out);
        }

        /** The sequence of the newest event in the log (-1: none). */
        long newestEvent() {
            return store.events().newest();
        }

        /** Numbers the next event of an empty log above {@code seq} ({@link EventLog#continueAfter}). */
        void continueEventsAfter(long seq) {
            store.events().continueAfter(seq);
        }

        void rollbackCommand() {
            inCommand.forEach(Layered::rollbackCommand);
            inCommand.clear();
        }

        List<Change> changes() {
            List<Change> out = new ArrayList<>();
            for (Layered t : inBatch) {
                t.changes(out);
            }
            return out;
        }

        void commitBatch() {
            inBatch.forEach(Layered::commitBatch);
            inBatch.clear();
            batchEvents.clear();
        }

        void rollbackBatch() {
            inCommand.forEach(Layered::rollbackBatch);
            inBatch.forEach(Layered::rollbackBatch);
            inCommand.clear();
            inBatch.clear();
            batchEvents.clear();
        }

        void clear() {
            rollbackBatch();
            distinct.forEach(Layered::clear);
        }

        void load(String table, String key, Object value) {
            Layered t = named(table, false);
            if (t == null) {
                LOG.warn("journal names an unknown table {}: record {} ignored", table, key);
                return;
            }
            t.load(table, key, value);
        }

        /** Every committed record, by journal table and key (maps copied, records shared): for a snapshot. */
        Map<String, Map<String, Object>> snapshot() {
            Map<String, Map<String, Object>> out = new java.util.HashMap<>();
            distinct.forEach(t -> t.snapshot(out));
            return out;
        }

        /** The committed record {@code key} of journal table {@code table}, or {@code null}. */
        Object committed(String table, String key) {
            Layered t = named(table, false);
            return t == null ? null : t.committed(table, key);
        }

        /** Tells each table's listeners of the journaled records of a batch (removals are not told). */
        void tell(List<Change> changes) {
            for (Change c : changes) {
                if (c.value() == null) {
                    continue;
                }
                try {
                    named(c.table()).tell(c.value());
                } catch (RuntimeException e) {
                    LOG.warn("a listener of {} failed on {}: {}", c.table(), c.key(), e.toString());
                }
            }
        }

        /**
         * The listeners of this member on the state written behind, and their registrations while the engine does not
         * run here. The engine's member hears every change from its engine ({@link EngineTable#tell}); a registration
         * there would only make every record written behind also an event that no one reads (serialized again, on
         * the partition threads: a tenth of a loaded member's CPU). So they are registered while the engine runs
         * elsewhere, dropped when it takes over here, and registered again when it stops here.
         */
        private final Map<Consumer<Object>, String> remoteListeners = new java.util.concurrent.ConcurrentHashMap<>();
        private final Map<Consumer<Object>, AutoCloseable> registered = new java.util.concurrent.ConcurrentHashMap<>();
        /** Registers and drops them off the engine's thread, in the order the engine moved. */
        private final java.util.concurrent.ExecutorService listening = java.util.concurrent.Executors
                .newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "ichiba-engine-listening");
                    t.setDaemon(true);
                    return t;
                });

        /** Hears of records written behind while this member's engine does not run (the others' changes). */
        void remoteListen(String table, Consumer<Object> listener) {
            Remote r = store == null ? null : store.remote;
            if (r == null) {
                return;
            }
            Consumer<Object> guarded = v -> {
                if (!store.engine.active()) {
                    listener.accept(v);
                }
            };
            remoteListeners.put(guarded, table);
            followEngine();
        }

        /** Registers the listeners on the state written behind if the engine does not run here, else drops them. */
        void followEngine() {
            if (store == null || store.remote == null) {
                return;
            }
            try {
                listening.execute(this::syncListening);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // the store is closing
            }
        }

        private void syncListening() {
            try {
                syncListeningNow();
            } catch (RuntimeException e) {
                LOG.warn("could not follow the engine with this member's listeners: {}", e.toString());
            }
        }

        private void syncListeningNow() {
            boolean wanted = !store.engine.active();
            for (Map.Entry<Consumer<Object>, String> l : remoteListeners.entrySet()) {
                if (wanted && !registered.containsKey(l.getKey())) {
                    registered.put(l.getKey(), store.remote.listen(l.getValue(), l.getKey()));
                } else if (!wanted) {
                    AutoCloseable r = registered.remove(l.getKey());
                    if (r != null) {
                        try {
                            r.close();
                        } catch (Exception e) {
                            LOG.warn("dropping a listener of {}: {}", l.getValue(), e.toString());
                        }
                    }
                }
            }
        }

        /** Whether this member's listeners are registered on the state written behind now (tests). */
        boolean listeningBehind() {
            return !registered.isEmpty();
        }

        void closeListening() {
            listening.shutdownNow();
        }
    }
}
