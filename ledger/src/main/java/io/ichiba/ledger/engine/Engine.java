package io.ichiba.ledger.engine;

import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.Change;
import io.ichiba.ledger.journal.FencedException;
import io.ichiba.ledger.journal.Journal;
import io.ichiba.ledger.journal.Takeover;
import io.ichiba.ledger.store.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The single writer: one thread that holds the ledger's state and applies every change, in order, in batches.
 *
 * <pre>
 *   callers ─▶ inbox ─▶ engine thread: take every waiting command (a batch)
 *                          for each: run it on the tables (its changes in the command layer; fails: dropped)
 *                          journal the batch: Journal.append(epoch, seq, changed records, events)  ── refused: drop all
 *                          only then: publish its events, commit the records, answer every caller, tell the
 *                                     listeners, hand the records to the write-behind
 * </pre>
 *
 * <p>The engine starts stopped. {@link #activate} takes the journal over (a new epoch), loads the state tables and
 * applies the batches not yet in them; a refused append ({@link FencedException}: another engine took over) or a
 * journal that cannot be written stops it, forgetting its state, until it is activated again. A command sent to a
 * stopped engine fails with {@link NotEngineException} and changes nothing.
 *
 * <p>Work run on the engine thread may call the tables directly and may call {@link #call} again (it runs inline,
 * as part of the running command). It must not wait for another thread that waits for the engine.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    /** The most commands one batch carries. */
    public static final int MAX_BATCH = 4096;

    private final Journal journal;
    private final EngineStore.Registry tables;
    private final EngineListener listener;
    private final LinkedBlockingQueue<Pending<?>> inbox = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final ExecutorService notifier;
    private final WriteBehind writeBehind;
    private final EngineClock clock;
    private volatile boolean active;
    private volatile boolean running = true;
    private volatile long epoch;
    private long seq;
    /** Why the last takeover failed on the database ({@link #databaseDown}). */
    private volatile io.ichiba.ledger.journal.DatabaseUnavailableException databaseDown;
    private volatile long databaseDownAt;
    /** The sequence of the newest event this engine published (engine thread). */
    private long lastEvent = -1;
    /** The timers ({@link #every}); each runs, when due, as a command of the next batch. */
    private final List<EngineTimer> timers = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Put in the inbox by a timer's wake, to end the wait for commands; never run. */
    private final Pending<Void> wake = new Pending<>(() -> null, false);
    /** The most operations one timer run applies ({@link Timer.Deferred}); the rest go on in the next batch. */
    public static final int TIMER_STEPS = 256;
    /** Engine thread only: a timer runs ({@link #step} makes each operation a command); one of its steps runs. */
    private boolean inTimer;
    private boolean stepping;
    /** Engine thread only: the running timer's operations so far, and whether they changed anything. */
    private int stepsThisRun;
    private boolean progressed;
    private volatile int timerSteps = TIMER_STEPS;

    private static final class Pending<R> {
        final Supplier<R> work;
        final CompletableFuture<R> done = new CompletableFuture<>();
        final boolean control;

        Pending(Supplier<R> work, boolean control) {
            this.work = work;
            this.control = control;
        }
    }

    Engine(Journal journal, EngineStore.Registry tables, EngineListener listener, EngineClock clock, String name) {
        this.journal = journal;
        this.clock = clock;
        this.tables = tables;
        this.listener = listener;
        this.notifier = Executors.newSingleThreadExecutor(r -> daemon(r, name + "-listeners"));
        this.writeBehind = new WriteBehind(journal, name + "-write-behind");
        this.thread = daemon(this::loop, name);
        this.thread.start();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** The engine's clock: the one every deadline is set and checked by ({@link EngineClock}). */
    public EngineClock clock() {
        return clock;
    }

    /** Whether this member's engine runs (has taken the journal over and not been fenced since). */
    public boolean active() {
        return active;
    }

    /** The epoch this engine journals under (0 before its first takeover). */
    public long epoch() {
        return epoch;
    }

    /** What of the journal was found lost ({@link Journal#lost}), or {@code null}. */
    public String journalLost() {
        return journal.lost();
    }

    /** How many commands wait in the inbox. */
    public int inboxDepth() {
        return inbox.size();
    }

    /** Whether the caller runs on the engine thread. */
    public boolean onEngineThread() {
        return Thread.currentThread() == thread;
    }

    /** The write-behind of journaled records into the state tables. */
    WriteBehind writeBehind() {
        return writeBehind;
    }

    /**
     * Runs {@code work} as one command of a batch and answers once the batch is journaled. On the engine thread it
     * runs inline, within the running command.
     *
     * @throws NotEngineException          the engine is stopped on this member; nothing was applied
     * @throws EngineUnavailableException the batch could not be journaled; nothing was applied
     */
    public <R> R call(Supplier<R> work) {
        if (onEngineThread()) {
            return step(work);
        }
        if (!active) {
            throw new NotEngineException("the engine does not run on this member");
        }
        return join(submit(work, false));
    }

    /**
     * On the engine thread, runs {@code work}: inline, within the running command, except while a timer runs, when it
     * is a command of its own (the timer's changes before it are kept; if it throws, only its own changes are
     * dropped). The engine's store runs every operation through it.
     */
    public <R> R step(Supplier<R> work) {
        if (!inTimer || stepping) {
            return work.get();
        }
        progressed |= tables.commitCommand();
        if (stepsThisRun >= timerSteps) {
            throw new Timer.Deferred();
        }
        stepsThisRun++;
        stepping = true;
        try {
            R r = work.get();
            progressed |= tables.commitCommand();
            return r;
        } catch (RuntimeException e) {
            tables.rollbackCommand();
            throw e;
        } finally {
            stepping = false;
        }
    }

    /**
     * Runs {@code body} on the engine's thread every {@code periodMillis} of the engine's clock (a fixed delay from
     * the end of one run to the next), while the engine runs on this member, as a command of the batch it falls in:
     * its changes are journaled with that batch, and each operation it runs through {@link #step} is a command of
     * its own. A run that throws is logged and counted ({@link EngineListener#timerRan}); the timer runs again. The
     * first run comes a period after the engine takes over (or after the timer is made, if it runs already). A run
     * applies at most {@link #TIMER_STEPS} operations: the next one throws {@link Timer.Deferred}, and the timer runs
     * again in the next batch.
     */
    public Timer every(String name, long periodMillis, Runnable body) {
        if (periodMillis <= 0) {
            throw new IllegalArgumentException("a timer's period must be positive: " + periodMillis);
        }
        EngineTimer t = new EngineTimer(name, periodMillis, body);
        timers.add(t);
        return t;
    }

    /** Sets the most operations one timer run applies (tests make it small). */
    void timerSteps(int steps) {
        if (steps <= 0) {
            throw new IllegalArgumentException("a timer run must apply at least one operation: " + steps);
        }
        this.timerSteps = steps;
    }

    /** A timer of this engine: its next run in engine time (set by the engine thread), and whether it was woken. */
    private final class EngineTimer implements Timer {
        final String name;
        final long periodMillis;
        final Runnable body;
        final java.util.concurrent.atomic.AtomicBoolean woken = new java.util.concurrent.atomic.AtomicBoolean();
        /** Engine time of the next run; -1 until the engine thread first sees the timer. */
        long nextAt = -1;

        EngineTimer(String name, long periodMillis, Runnable body) {
            this.name = name;
            this.periodMillis = periodMillis;
            this.body = body;
        }

        @Override
        public void wake() {
            if (woken.compareAndSet(false, true)) {
                inbox.add(wake);
            }
        }

        @Override
        public void close() {
            timers.remove(this);
        }

        @Override
        public String toString() {
            return "timer " + name;
        }
    }

    /** As {@link #call}, without waiting: the future completes once the command's batch is journaled. */
    public <R> CompletableFuture<R> submit(Supplier<R> work) {
        return submit(work, false);
    }

    private <R> CompletableFuture<R> submit(Supplier<R> work, boolean control) {
        Pending<R> p = new Pending<>(work, control);
        if (!running) {
            p.done.completeExceptionally(new NotEngineException("the engine is closed"));
            return p.done;
        }
        inbox.add(p);
        return p.done;
    }

    /** Takes the journal over and starts applying commands; completes when the state is loaded. */
    public CompletableFuture<Void> activate() {
        return submit(() -> {
            try {
                takeOver();
                databaseDown = null;
            } catch (io.ichiba.ledger.journal.DatabaseUnavailableException e) {
                databaseDown(e);
                throw e;
            }
            return null;
        }, true);
    }

    /**
     * Why the last takeover (or batch) on this member failed, when it failed on the journal's database within the last
     * {@link #DATABASE_DOWN_NANOS} and no takeover succeeded since; else {@code null}. Callers are then told at once
     * that nothing can be journaled, not after waiting. The member that owns the engine's partition tries again every
     * 100 ms, each failure told again; a member that no longer owns it stops trying, and this expires.
     */
    public io.ichiba.ledger.journal.DatabaseUnavailableException databaseDown() {
        io.ichiba.ledger.journal.DatabaseUnavailableException d = databaseDown;
        return d != null && System.nanoTime() - databaseDownAt < DATABASE_DOWN_NANOS ? d : null;
    }

    private void databaseDown(io.ichiba.ledger.journal.DatabaseUnavailableException e) {
        databaseDownAt = System.nanoTime();
        databaseDown = e;
    }

    /** How long a failure of the database is told to callers without another one. */
    static final long DATABASE_DOWN_NANOS = 5_000_000_000L;

    /** Stops applying commands and forgets the state (the engine moved to another member). */
    public CompletableFuture<Void> deactivate() {
        return submit(() -> {
            stop("asked to stop");
            databaseDown = null; // the engine runs elsewhere now: this member has nothing of its database to tell
            return null;
        }, true);
    }

    static <R> R join(CompletableFuture<R> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineUnavailableException("interrupted waiting for the engine", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }


    private void loop() {
        List<Pending<?>> taken = new ArrayList<>();
        while (running) {
            try {
                Pending<?> first = inbox.poll(untilNextTimer(), TimeUnit.MILLISECONDS);
                if (first != null) {
                    taken.add(first);
                    inbox.drainTo(taken, MAX_BATCH - 1);
                    taken.removeIf(p -> p == wake);
                }
                if (active) {
                    dueTimers(taken);
                }
                if (taken.isEmpty()) {
                    continue;
                }
                int from = 0;
                for (int i = 0; i < taken.size(); i++) {
                    if (taken.get(i).control) {
                        runBatch(taken.subList(from, i));
                        runControl(taken.get(i));
                        from = i + 1;
                    }
                }
                runBatch(taken.subList(from, taken.size()));
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException | Error e) {
                LOG.error("engine step failed; stopping the engine here", e);
                tables.rollbackBatch();
                stop("engine step failed: " + e);
                taken.forEach(p -> p.done.completeExceptionally(
                        new EngineUnavailableException("the engine failed: " + e, e)));
            } finally {
                taken.clear();
            }
        }
        NotEngineException closed = new NotEngineException("the engine is closed");
        Pending<?> p;
        while ((p = inbox.poll()) != null) {
            p.done.completeExceptionally(closed);
        }
    }

    /** How long the engine may wait for a command before a timer is due: 0 to 100 ms. */
    private long untilNextTimer() {
        if (!active || timers.isEmpty()) {
            return 100;
        }
        long now = clock.millis();
        long wait = 100;
        for (EngineTimer t : timers) {
            if (t.woken.get()) {
                return 0;
            }
            wait = Math.min(wait, t.nextAt < 0 ? 0 : Math.max(0, t.nextAt - now));
        }
        return wait;
    }

    /** Adds a command to {@code taken} for each timer due by the engine's clock (or woken). */
    private void dueTimers(List<Pending<?>> taken) {
        if (timers.isEmpty()) {
            return;
        }
        long now = clock.millis();
        for (EngineTimer t : timers) {
            if (t.nextAt < 0) {
                t.nextAt = now + t.periodMillis;
            }
            if (t.woken.get() || now >= t.nextAt) {
                t.nextAt = Long.MAX_VALUE; // set again when it has run
                taken.add(new Pending<Void>(() -> {
                    runTimer(t);
                    return null;
                }, false));
            }
        }
    }

    /**
     * Runs a timer as the running command: each of its steps a command of its own; if it throws, what it changed
     * since its last step is dropped, and the rest of the batch goes on.
     */
    private void runTimer(EngineTimer t) {
        t.woken.set(false);
        long t0 = System.nanoTime();
        boolean ok = true;
        boolean deferred = false;
        inTimer = true;
        stepsThisRun = 0;
        progressed = false;
        try {
            t.body.run();
        } catch (Timer.Deferred d) {
            deferred = true; // bounded: what it did stays, the rest runs in the next batch
        } catch (RuntimeException e) {
            ok = false;
            tables.rollbackCommand();
            LOG.warn("timer {} failed, runs again: {}", t.name, e.toString());
        } finally {
            inTimer = false;
            // a run cut short goes on at once (after the commands waiting), unless it changed nothing: then a
            // period later, so that operations that keep refusing do not spin the engine
            t.nextAt = clock.millis() + (deferred && progressed ? 0 : t.periodMillis);
        }
        listener.timerRan(t.name, System.nanoTime() - t0, ok);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void runControl(Pending p) {
        try {
            p.done.complete(p.work.get());
        } catch (RuntimeException e) {
            p.done.completeExceptionally(e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void runBatch(List<Pending<?>> batch) {
        if (batch.isEmpty()) {
            return;
        }
        if (!active) {
            NotEngineException not = new NotEngineException("the engine does not run on this member");
            batch.forEach(p -> p.done.completeExceptionally(not));
            return;
        }
        int n = batch.size();
        Object[] results = new Object[n];
        Throwable[] errors = new Throwable[n];
        for (int i = 0; i < n; i++) {
            try {
                results[i] = batch.get(i).work.get();
                tables.commitCommand();
            } catch (RuntimeException e) {
                tables.rollbackCommand();
                errors[i] = e;
            }
        }
        List<Change> changes = tables.changes();
        RuntimeException failed = changes.isEmpty() ? null : journal(changes, n);
        if (failed != null) {
            batch.forEach(p -> p.done.completeExceptionally(failed));
            return;
        }
        for (int i = 0; i < n; i++) {
            Pending p = batch.get(i);
            if (errors[i] != null) {
                p.done.completeExceptionally(errors[i]);
            } else {
                p.done.complete(results[i]);
            }
        }
    }

    /**
     * Appends the batch; on success commits it and answers {@code null}. Otherwise the engine stops and the answer
     * is what its callers are told: {@link NotEngineException} when the batch is certainly not in the journal (fenced:
     * they may run again elsewhere), {@link EngineUnavailableException} when its outcome is unknown (they may not be
     * run again for them: a retry, with its idempotency key, is the caller's).
     */
    private RuntimeException journal(List<Change> changes, int commands) {
        Batch b = new Batch(epoch, seq + 1, changes, clock.millis(), tables.events(), lastEvent);
        long t0 = System.nanoTime();
        try {
            journal.append(b);
        } catch (FencedException e) {
            tables.rollbackBatch();
            stop("fenced: " + e.getMessage());
            return new NotEngineException("the engine stopped here: its batch was refused by the journal");
        } catch (RuntimeException e) {
            tables.rollbackBatch();
            if (e instanceof io.ichiba.ledger.journal.DatabaseUnavailableException d) {
                databaseDown(d);
            }
            stop("the journal could not be written: " + e);
            return new EngineUnavailableException("the batch's outcome is unknown; the engine stopped here", e);
        }
        long appendNanos = System.nanoTime() - t0;
        seq = b.seq();
        try {
            tables.publish(b.events());
        } catch (RuntimeException e) {
            // journaled, but its events are not in the log: the engine that takes over publishes them again
            stop("the event log could not be written: " + e);
            return new EngineUnavailableException("the batch's events could not be published; the engine stopped "
                    + "here", e);
        }
        lastEvent += b.events().size(); // the engine alone appends to the log
        tables.commitBatch();
        writeBehind.offer(b);
        if (journal.snapshotDue(seq)) {
            journal.snapshot(epoch, seq, b.time(), lastEvent, tables.snapshot());
        }
        notifier.execute(() -> tables.tell(changes));
        listener.journaled(commands, changes.size(), appendNanos);
        if (!b.events().isEmpty()) {
            listener.published(b.events());
        }
        return null;
    }

    private void takeOver() {
        if (active) {
            return;
        }
        Takeover t = journal.takeOver();
        tables.clear();
        t.tables().forEach((table, records) -> records.forEach((k, v) -> tables.load(table, k, v)));
        for (Batch b : t.batches()) {
            for (Change c : b.changes()) {
                tables.load(c.table(), c.key(), c.value());
            }
        }
        if (t.lastEvent() >= 0) {
            tables.continueEventsAfter(t.lastEvent()); // a state from the database: the log starts empty
        }
        // the events of the batches still in the head may not all be in the log: published again (same ids)
        for (Batch b : t.batches()) {
            tables.publish(b.events());
        }
        lastEvent = tables.newestEvent();
        epoch = t.epoch();
        seq = t.lastSeq();
        clock.resume(Math.max(t.lastTime(), t.batches().stream().mapToLong(Batch::time).max().orElse(0)));
        writeBehind.restart(t, tables::committed); // a patched record is written behind as it is now
        timers.forEach(timer -> timer.nextAt = -1); // each runs a period after the takeover
        active = true;
        if (journal.snapshotDue(seq)) {
            // a journal that lacks the state keeps it now
            journal.snapshot(epoch, seq, clock.millis(), lastEvent, tables.snapshot());
        }
        LOG.info("engine took over epoch={} seq={} replayed={} batch(es) journaled time={} engine time={}", epoch, seq,
                t.batches().size(), t.lastTime(), clock.millis());
        listener.tookOver(epoch);
    }

    private void stop(String why) {
        boolean was = active;
        active = false;
        tables.clear();
        writeBehind.stop();
        if (was) {
            LOG.warn("engine stopped on this member epoch={}: {}", epoch, why);
            listener.stopped(why);
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        active = false;
        notifier.shutdownNow();
        writeBehind.close();
        journal.close(); // after the engine's thread: nothing is appended any more (a durable journal's database)
    }
}
