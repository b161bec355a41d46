package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.engine.EngineUnavailableException;
import io.ichiba.ledger.engine.NotEngineException;
import io.ichiba.ledger.engine.Remote;
import io.ichiba.ledger.engine.TableCall;
import io.ichiba.ledger.store.Operation;

import java.io.Serializable;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Reaches the engine from a member that does not run it: each {@link TableCall} goes to the owner of the engine's
 * key through a Hazelcast executor, and runs there on the member's {@link EngineStore} (found in the member's user
 * context). Changes are heard from the state maps written behind.
 */
public final class HazelcastRemote implements Remote {
    /** The executor that carries calls to the engine. */
    public static final String EXECUTOR = HazelcastEngine.PREFIX + "engine";

    private final HazelcastInstance hz;
    private final IExecutorService executor;
    /** Whether the member's configuration protects the engine's maps: a minimum above one member. */
    private final boolean protectedBySize;

    /** Creates the remote over a member configured by {@link HazelcastEngine#configure}. */
    public HazelcastRemote(HazelcastInstance hz) {
        this.hz = hz;
        this.executor = hz.getExecutorService(EXECUTOR);
        com.hazelcast.config.SplitBrainProtectionConfig c =
                hz.getConfig().getSplitBrainProtectionConfigs().get(HazelcastEngine.PROTECTION);
        this.protectedBySize = c != null && c.getMinimumClusterSize() > 1;
    }

    @Override
    public <R> R call(String table, TableCall<R> call) {
        return send(new Forward<>(table, call));
    }

    @Override
    public <R> R operate(String id, Operation<?, R> op) {
        return send(new Operate<>(id, op));
    }

    @SuppressWarnings("unchecked")
    private <R> R send(OnEngine<R> task) {
        Future<Answer> f;
        try {
            f = executor.submitToKeyOwner(task, HazelcastJournal.ENGINE_KEY);
        } catch (RuntimeException e) {
            throw new NotEngineException("cannot reach the engine's member: " + e);
        }
        try {
            return (R) f.get(30, TimeUnit.SECONDS).value();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineUnavailableException("interrupted waiting for the engine", e);
        } catch (TimeoutException e) {
            throw new EngineUnavailableException("the engine's member did not answer in time", e);
        } catch (com.hazelcast.core.IndeterminateOperationStateException e) {
            throw indeterminate(task, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof NotEngineException n) {
                throw n;
            }
            if (cause instanceof com.hazelcast.core.IndeterminateOperationStateException i) {
                throw indeterminate(task, i);
            }
            if (cause instanceof com.hazelcast.core.MemberLeftException
                    || cause instanceof com.hazelcast.spi.exception.TargetNotMemberException
                    || cause instanceof com.hazelcast.core.HazelcastInstanceNotActiveException) {
                throw new NotEngineException("the engine's member left: " + cause);
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new EngineUnavailableException("the engine's member failed: " + cause, cause);
        }
    }

    /**
     * The engine's member left while it ran {@code task} (Hazelcast cannot tell whether it ran): a read, or an
     * operation (run once under its id), may be sent again to the engine wherever it is now; a table call that writes
     * may have been applied, so its outcome is unknown (503 at the HTTP edge, not a 500).
     */
    private static RuntimeException indeterminate(OnEngine<?> task, RuntimeException e) {
        if (task instanceof Operate<?> || (task instanceof Forward<?> fw && !fw.call.writes())) {
            return new NotEngineException("the engine's member left while running it: " + e);
        }
        return new EngineUnavailableException("the engine's member left while running a change: its outcome is "
                + "unknown", e);
    }

    @Override
    public boolean quorum() {
        // alone is enough when nothing is protected (and the protection is not evaluated before the first heartbeats)
        return !protectedBySize || hz.getSplitBrainProtectionService()
                .getSplitBrainProtection(HazelcastEngine.PROTECTION).hasMinimumSize();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <R> R readBehind(String table, TableCall<R> call) {
        com.hazelcast.map.IMap<String, HazelcastJournal.Versioned> m = hz.getMap(HazelcastJournal.STATE_PREFIX + table);
        if (call instanceof TableCall.Get g) {
            HazelcastJournal.Versioned v = m.get(g.key());
            return (R) (v == null ? null : v.value());
        }
        java.util.Map<String, Object> all = new java.util.TreeMap<>();
        m.entrySet().forEach(e -> all.put(e.getKey(), e.getValue().value()));
        if (call instanceof TableCall.Entries) {
            return (R) all;
        }
        if (call instanceof TableCall.Count c) {
            return (R) Integer.valueOf((int) all.values().stream().filter(c.filter()::test).count());
        }
        io.ichiba.ledger.store.Table.Filter<Object> filter = call instanceof TableCall.Values v ? v.filter()
                : ((TableCall.Any) call).filter();
        java.util.List<Object> out = all.values().stream().filter(filter::test).toList();
        return call instanceof TableCall.Any ? (R) Boolean.valueOf(!out.isEmpty()) : (R) new java.util.ArrayList<>(out);
    }

    @Override
    public AutoCloseable listen(String table, Consumer<Object> listener) {
        com.hazelcast.map.IMap<String, HazelcastJournal.Versioned> map = hz.getMap(HazelcastJournal.STATE_PREFIX + table);
        java.util.UUID id = map.addEntryListener(new StateListener(listener), true);
        return () -> {
            if (hz.getLifecycleService().isRunning()) {
                map.removeEntryListener(id);
            }
        };
    }

    /**
     * What a call answers, in an envelope of its own: the envelope (and so the records, lists and maps in it) is
     * written by Kryo, as the calls are ({@link KryoSerializer#types}), where a bare value would go by Java
     * serialization.
     */
    record Answer(Object value) implements Serializable {
    }

    /** Work run on the engine's member against its {@link EngineStore}, found in the member's user context. */
    abstract static class OnEngine<R> implements Callable<Answer>, HazelcastInstanceAware, Serializable {
        private static final long serialVersionUID = 1L;
        private transient HazelcastInstance hz;

        @Override
        public void setHazelcastInstance(HazelcastInstance instance) {
            this.hz = instance;
        }

        @Override
        public Answer call() {
            Object store = hz.getUserContext().get(EngineStore.CONTEXT_KEY);
            if (!(store instanceof EngineStore s)) {
                throw new NotEngineException("no engine store on this member");
            }
            return new Answer(on(s));
        }

        abstract R on(EngineStore store);
    }

    /** A table call run on the engine's member. */
    static final class Forward<R> extends OnEngine<R> {
        private static final long serialVersionUID = 1L;
        private final String table;
        private final TableCall<R> call;

        Forward(String table, TableCall<R> call) {
            this.table = table;
            this.call = call;
        }

        @Override
        R on(EngineStore store) {
            return store.serve(table, call);
        }
    }

    /** An operation run on the engine's member, against its ledger, once under its id. */
    static final class Operate<R> extends OnEngine<R> {
        private static final long serialVersionUID = 1L;
        private final String id;
        private final Operation<?, R> op;

        Operate(String id, Operation<?, R> op) {
            this.id = id;
            this.op = op;
        }

        @Override
        @SuppressWarnings("unchecked")
        R on(EngineStore store) {
            return store.serve(id, (Operation<Object, R>) op);
        }
    }

    private record StateListener(Consumer<Object> listener)
            implements EntryAddedListener<String, HazelcastJournal.Versioned>,
            EntryUpdatedListener<String, HazelcastJournal.Versioned> {
        @Override
        public void entryAdded(EntryEvent<String, HazelcastJournal.Versioned> event) {
            listener.accept(event.getValue().value());
        }

        @Override
        public void entryUpdated(EntryEvent<String, HazelcastJournal.Versioned> event) {
            listener.accept(event.getValue().value());
        }
    }
}
