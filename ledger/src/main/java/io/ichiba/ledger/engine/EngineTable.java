package io.ichiba.ledger.engine;

import io.ichiba.ledger.Command;
import io.ichiba.ledger.journal.Change;
import io.ichiba.ledger.store.Settleable;
import io.ichiba.ledger.store.Table;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * One table of the engine's state: the records every member may read ({@code committed}, journaled), and on the
 * engine thread two layers of changes above them, the running command's and the running batch's.
 *
 * <pre>
 *   read on the engine thread:  command layer ─▶ batch layer ─▶ committed
 *   command done:               command layer merged into the batch layer   (failed: dropped)
 *   batch journaled:            batch layer merged into committed            (refused: dropped)
 * </pre>
 *
 * <p>So a command that throws halfway leaves nothing, a batch the journal refused leaves nothing, and a reader on
 * another thread sees only what was journaled. Calls from other threads go to the engine through
 * {@link EngineStore}: writes as commands of a batch, reads from the committed records.
 *
 * @param <V> the record type
 */
final class EngineTable<V> implements Table<V>, Layered {
    private static final Object REMOVED = new Object();

    private final String name;
    private final EngineStore.Registry registry;
    private final ConcurrentHashMap<String, V> committed = new ConcurrentHashMap<>();
    /** Keys of committed values that are not settled: what live-only filters look at. */
    private final Set<String> live = ConcurrentHashMap.newKeySet();
    /**
     * The layers. A {@code HashMap} keeps the table it grew to, and clearing or walking it costs that table's size:
     * after a command that changed a hundred thousand records (a pass marking a long queue), every later command
     * would pay for it. So a layer that held many records is replaced, not cleared ({@link #emptied}).
     */
    private HashMap<String, Object> batch = new HashMap<>();
    /** In the order the command first wrote each key: the order its records' events are published in. */
    private HashMap<String, Object> command = new java.util.LinkedHashMap<>();
    private static final int REUSED_UP_TO = 64;
    private final List<Consumer<V>> listeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<V>> localListeners = new CopyOnWriteArrayList<>();
    /**
     * The indexes asked for so far, each from an index key to the keys of the committed records filed under it. Built
     * when first asked for; kept with {@link #committed} under {@link #filing}, which every change of a committed
     * record takes (on the engine thread, uncontended but for an index being built by a reader).
     */
    private final Map<Table.Index<V>, java.util.concurrent.ConcurrentMap<String, Set<String>>> indexes =
            new ConcurrentHashMap<>();
    private final Object filing = new Object();
    /**
     * On the engine thread, for each index a scan asked for while the layers held changes: the keys the layers wrote,
     * filed under the index keys of their committed record and of every value written. So the layered records a
     * filter on that index may pass, now or as committed, are found without walking every layered record (a batch of
     * many commands would otherwise make every scan and count of a command walk the whole batch). A superset: a value a
     * dropped command wrote stays filed. Built when first asked for in a batch; emptied with the batch layer.
     */
    private final Map<Table.Index<V>, Map<String, Set<String>>> layerFiled = new HashMap<>();
    /** Counts the changes the engine thread made or dropped (and loads and clears): {@link #version}. */
    private long version;
    /**
     * The keys of the last {@link #CHANGES_KEPT} writes, each with the {@link #version} it made, in a ring: what
     * {@link #changedSince} answers from. Loads and clears are not kept: {@link #unknownUpTo} says up to where.
     */
    private static final int CHANGES_KEPT = 1024;
    private final long[] changedAt = new long[CHANGES_KEPT];
    private final String[] changedKeys = new String[CHANGES_KEPT];
    private long changesKept;
    private long unknownUpTo;

    EngineTable(String name, EngineStore.Registry registry) {
        this.name = name;
        this.registry = registry;
    }

    String name() {
        return name;
    }

    @Override
    public List<String> names() {
        return List.of(name);
    }

    private boolean inline() {
        return registry.engine().onEngineThread();
    }

    @SuppressWarnings("unchecked")
    private <R> R route(TableCall<R> call) {
        return registry.store().route(name, call);
    }


    @Override
    @SuppressWarnings("unchecked")
    public V get(String key) {
        return inline() ? effective(key) : (V) route(new TableCall.Get(key));
    }

    @Override
    @SuppressWarnings("unchecked")
    public <R> R execute(String key, Command<V, R> cmd) {
        if (!inline()) {
            return route(new TableCall.Execute<>(key, (Command<Object, R>) (Command<?, R>) cmd));
        }
        Command.Outcome<V, R> o = cmd.apply(effective(key));
        if (o.write()) {
            version++;
            int slot = (int) (changesKept++ % CHANGES_KEPT);
            changedAt[slot] = version;
            changedKeys[slot] = key;
            if (command.isEmpty()) {
                registry.touched(this);
            }
            if (!layerFiled.isEmpty()) {
                fileLayered(key, o.next());
            }
            command.put(key, o.next() == null ? REMOVED : o.next());
        }
        return o.result();
    }

    @Override
    @SuppressWarnings("unchecked")
    public Map<String, V> entries() {
        if (!inline()) {
            return (Map<String, V>) route(new TableCall.Entries());
        }
        Map<String, V> out = new TreeMap<>(committed);
        overlay((k, v) -> {
            if (v == null) {
                out.remove(k);
            } else {
                out.put(k, v);
            }
        });
        return out;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Collection<V> values(Filter<V> filter) {
        if (!inline()) {
            return (Collection<V>) route(new TableCall.Values((Filter<Object>) (Filter<?>) filter));
        }
        List<V> out = new ArrayList<>();
        scan(filter, (k, v) -> {
            out.add(v);
            return true;
        });
        return out;
    }

    /** On the engine thread, the count of changes made, dropped, loaded and cleared; elsewhere -1 (not counted). */
    @Override
    public long version() {
        return inline() ? version : -1;
    }

    /**
     * On the engine thread, the keys written since {@code since} (a {@link #version} read on it), those of commands
     * dropped since included; {@code null} when they are not all known: too many writes since, a load or a clear, or
     * another thread.
     */
    @Override
    public Set<String> changedSince(long since) {
        if (!inline() || since < unknownUpTo || since > version) {
            return null;
        }
        Set<String> keys = new java.util.HashSet<>();
        for (long i = changesKept - 1; i >= 0; i--) {
            if (i < changesKept - CHANGES_KEPT) {
                return null; // the oldest kept is still after since: some were forgotten
            }
            int slot = (int) (i % CHANGES_KEPT);
            if (changedAt[slot] <= since) {
                break;
            }
            keys.add(changedKeys[slot]);
        }
        return keys;
    }

    @Override
    public int count(Filter<V> filter) {
        if (!inline()) {
            if (registry.engine().active() && filter instanceof Table.Indexed<V> indexed && indexed.exact()
                    && indexed.index() != null) {
                return candidates(filter).size(); // the engine's member: what the committed index files
            }
            return (Integer) route(new TableCall.Count((Filter<Object>) (Filter<?>) filter)); // the number alone
        }
        if (filter instanceof Table.Indexed<V> indexed && indexed.exact() && indexed.index() != null) {
            // what is filed, corrected by the records the running command and batch changed under the filter's keys
            int n = candidates(filter).size();
            if (command.isEmpty() && batch.isEmpty()) {
                return n;
            }
            int[] moved = {0};
            eachLayeredCandidate(indexed, k -> {
                V before = committed.get(k);
                if (before != null && filter.test(before)) {
                    moved[0]--;
                }
                V v = effective(k);
                if (v != null && filter.test(v)) {
                    moved[0]++;
                }
                return true;
            });
            return n + moved[0];
        }
        int[] n = {0};
        scan(filter, (k, v) -> {
            n[0]++;
            return true;
        });
        return n[0];
    }

    @Override
    @SuppressWarnings("unchecked")
    public boolean any(Filter<V> filter) {
        if (!inline()) {
            return (Boolean) route(new TableCall.Any((Filter<Object>) (Filter<?>) filter));
        }
        boolean[] found = new boolean[1];
        scan(filter, (k, v) -> {
            found[0] = true;
            return false;
        });
        return found[0];
    }

    /**
     * Every key is the engine's: on its member all of them, elsewhere none. Looks at the records the filter's index
     * files under its keys (or the live ones, or all): a sweep on the engine's thread reads what it may change.
     */
    @Override
    public Collection<String> localKeys(Filter<V> filter) {
        boolean inline = inline();
        if (!inline && !registry.engine().active()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (inline) {
            scan(filter, (k, v) -> {
                out.add(k);
                return true;
            });
        } else {
            scanCommitted(filter, false, (k, v) -> {
                out.add(k);
                return true;
            });
        }
        out.sort(null); // in key order, as the tables' entries: a sweep goes the same way on every engine
        return out;
    }

    @Override
    @SuppressWarnings("unchecked")
    public synchronized void listen(Consumer<V> listener) {
        if (listeners.isEmpty()) {
            // one listener per table on the state written behind, told to every listener of this table
            registry.remoteListen(name, v -> listeners.forEach(l -> l.accept((V) v)));
        }
        listeners.add(listener);
    }

    @Override
    public void listenLocal(Consumer<V> listener) {
        localListeners.add(listener);
    }


    /** The record as the running command sees it. Engine thread only. */
    @SuppressWarnings("unchecked")
    private V effective(String key) {
        if (!command.isEmpty()) {
            Object v = command.get(key);
            if (v != null) {
                return v == REMOVED ? null : (V) v;
            }
        }
        if (!batch.isEmpty()) {
            Object v = batch.get(key);
            if (v != null) {
                return v == REMOVED ? null : (V) v;
            }
        }
        return committed.get(key);
    }

    /** Calls {@code each} with every key the layers changed and its effective value ({@code null}: removed). */
    @SuppressWarnings("unchecked")
    private void overlay(java.util.function.BiConsumer<String, V> each) {
        batch.forEach((k, v) -> {
            if (!command.containsKey(k)) {
                each.accept(k, v == REMOVED ? null : (V) v);
            }
        });
        command.forEach((k, v) -> each.accept(k, v == REMOVED ? null : (V) v));
    }

    private boolean layered(String key) {
        return command.containsKey(key) || batch.containsKey(key);
    }

    /** Tests the effective values; {@code take} (given each key and value) answers whether to go on. Engine thread only. */
    private void scan(Filter<V> filter, java.util.function.BiPredicate<String, V> take) {
        boolean layers = !command.isEmpty() || !batch.isEmpty();
        if (layers && filter instanceof Table.Indexed<V> indexed && indexed.index() != null) {
            boolean go = eachLayeredCandidate(indexed, k -> {
                if (!layered(k)) {
                    return true; // written by a command that failed: the committed record, scanned below
                }
                V v = effective(k);
                return v == null || !filter.test(v) || take.test(k, v);
            });
            if (!go) {
                return;
            }
        } else if (layers) {
            boolean[] go = {true};
            overlay((k, v) -> {
                if (go[0] && v != null && filter.test(v)) {
                    go[0] = take.test(k, v);
                }
            });
            if (!go[0]) {
                return;
            }
        }
        scanCommitted(filter, layers, take);
    }

    /** Tests the committed values (those the layers changed left out if {@code skipLayered}); as {@link #scan}. */
    private void scanCommitted(Filter<V> filter, boolean skipLayered, java.util.function.BiPredicate<String, V> take) {
        for (String k : candidates(filter)) {
            if (skipLayered && layered(k)) {
                continue;
            }
            V v = committed.get(k);
            if (v != null && filter.test(v) && !take.test(k, v)) {
                return;
            }
        }
    }

    /**
     * Calls {@code each} once with every layered key that may pass {@code filter} or may have passed as committed:
     * those {@link #layerFiled} files under its keys (or below its bound), until it answers {@code false}; answers
     * whether it went through them all. Engine thread only, with changes in the layers.
     */
    private boolean eachLayeredCandidate(Table.Indexed<V> filter, java.util.function.Predicate<String> each) {
        Map<String, Set<String>> filed = layerFiled.get(filter.index());
        if (filed == null) {
            filed = fileLayers(filter.index());
        }
        if (filed.isEmpty()) {
            return true;
        }
        if (filter.below() != null && filed instanceof java.util.NavigableMap<String, Set<String>> ordered) {
            Set<String> found = new java.util.HashSet<>();
            ordered.headMap(filter.below(), false).values().forEach(found::addAll);
            return eachOf(found, each);
        }
        Collection<String> keys = filter.indexKeys();
        if (keys.size() == 1) {
            Set<String> one = filed.get(keys.iterator().next());
            return one == null || eachOf(one, each);
        }
        // a key filed under several of the filter's keys is taken under the first: no union to build
        List<Set<String>> done = new ArrayList<>(keys.size());
        for (String ik : keys) {
            Set<String> one = filed.get(ik);
            if (one == null) {
                continue;
            }
            for (String k : one) {
                boolean seen = false;
                for (Set<String> before : done) {
                    if (before.contains(k)) {
                        seen = true;
                        break;
                    }
                }
                if (!seen && !each.test(k)) {
                    return false;
                }
            }
            done.add(one);
        }
        return true;
    }

    private static boolean eachOf(Set<String> keys, java.util.function.Predicate<String> each) {
        for (String k : keys) {
            if (!each.test(k)) {
                return false;
            }
        }
        return true;
    }

    /** Files every layered key under {@code index}: its committed record and the values the layers hold. */
    @SuppressWarnings("unchecked")
    private Map<String, Set<String>> fileLayers(Table.Index<V> index) {
        Map<String, Set<String>> filed = index instanceof Table.OrderedIndex<V> ? new TreeMap<>() : new HashMap<>();
        layerFiled.put(index, filed);
        for (HashMap<String, Object> layer : List.of(batch, command)) {
            layer.forEach((k, v) -> fileUnder(index, filed, k, committed.get(k), v == REMOVED ? null : (V) v));
        }
        return filed;
    }

    /** Files {@code key}, about to be written {@code now}, in every layer index (its committed record too, if new). */
    private void fileLayered(String key, V now) {
        V before = layered(key) ? null : committed.get(key);
        layerFiled.forEach((index, filed) -> fileUnder(index, filed, key, before, now));
    }

    /** Files {@code key} in {@code filed} under the index keys of {@code before} and of {@code now} (each may be null). */
    private static <V> void fileUnder(Table.Index<V> index, Map<String, Set<String>> filed, String key, V before,
                                      V now) {
        Consumer<String> file = ik -> filed.computeIfAbsent(ik, x -> new java.util.HashSet<>()).add(key);
        if (before != null) {
            index.keys(before, file);
        }
        if (now != null) {
            index.keys(now, file);
        }
    }

    /**
     * The keys of the committed records that may pass {@code filter}: those its index files under its keys, the live
     * ones, or all.
     */
    private Collection<String> candidates(Filter<V> filter) {
        if (filter instanceof Table.Indexed<V> indexed && indexed.index() != null) {
            Map<String, Set<String>> index = index(indexed.index());
            if (indexed.below() != null && index instanceof java.util.NavigableMap<String, Set<String>> ordered) {
                List<String> found = new ArrayList<>();
                ordered.headMap(indexed.below(), false).values().forEach(found::addAll);
                return found;
            }
            Collection<String> keys = indexed.indexKeys();
            if (keys.size() == 1) {
                Set<String> filed = index.get(keys.iterator().next());
                return filed == null ? List.of() : filed;
            }
            Set<String> union = new java.util.HashSet<>();
            for (String k : keys) {
                Set<String> filed = index.get(k);
                if (filed != null) {
                    union.addAll(filed);
                }
            }
            return union;
        }
        return filter.skipsSettled() ? live : committed.keySet();
    }

    /**
     * On the engine thread, a walk of the committed index in key order from {@code from}, merged with the layered
     * records filed from there ({@link #layerFiled}): a layered record is taken where its running value is filed,
     * the others where they were committed. Elsewhere, the default.
     */
    @Override
    @SuppressWarnings("unchecked")
    public V first(Table.OrderedIndex<V> index, String from, java.util.function.Predicate<V> accept) {
        if (!inline()) {
            return Table.super.first(index, from, accept);
        }
        java.util.Iterator<Map.Entry<String, Set<String>>> done =
                ((java.util.NavigableMap<String, Set<String>>) index(index)).tailMap(from, true).entrySet().iterator();
        java.util.Iterator<Map.Entry<String, Set<String>>> changed = java.util.Collections.emptyIterator();
        if (!command.isEmpty() || !batch.isEmpty()) {
            Map<String, Set<String>> filed = layerFiled.get(index);
            if (filed == null) {
                filed = fileLayers(index);
            }
            changed = ((java.util.NavigableMap<String, Set<String>>) filed).tailMap(from, true).entrySet().iterator();
        }
        Map.Entry<String, Set<String>> d = done.hasNext() ? done.next() : null;
        Map.Entry<String, Set<String>> c = changed.hasNext() ? changed.next() : null;
        while (d != null || c != null) {
            int order = d == null ? 1 : c == null ? -1 : d.getKey().compareTo(c.getKey());
            if (order <= 0) {
                for (String k : d.getValue()) {
                    if (layered(k)) {
                        continue; // filed where its running value is, if anywhere
                    }
                    V v = committed.get(k);
                    if (v != null && accept.test(v)) {
                        return v;
                    }
                }
            }
            if (order >= 0) {
                String at = c.getKey();
                for (String k : c.getValue()) {
                    if (!layered(k)) {
                        continue; // a failed command's: where it was committed
                    }
                    V v = effective(k);
                    if (v != null && filedUnder(index, v, at) && accept.test(v)) {
                        return v;
                    }
                }
            }
            if (order <= 0) {
                d = done.hasNext() ? done.next() : null;
            }
            if (order >= 0) {
                c = changed.hasNext() ? changed.next() : null;
            }
        }
        return null;
    }

    private static <V> boolean filedUnder(Table.Index<V> index, V value, String key) {
        boolean[] under = {false};
        index.keys(value, k -> under[0] |= k.equals(key));
        return under[0];
    }

    /** On the engine's member: counted from the committed index (built if it was never asked for). */
    @Override
    public java.util.NavigableMap<String, Integer> filedCounts(Table.OrderedIndex<V> index) {
        if (!inline() && !registry.engine().active()) {
            return null;
        }
        java.util.NavigableMap<String, Integer> out = new TreeMap<>();
        index(index).forEach((k, keys) -> {
            if (!keys.isEmpty()) {
                out.put(k, keys.size());
            }
        });
        return out;
    }

    /** The index, built from the committed records the first time it is asked for. */
    private Map<String, Set<String>> index(Table.Index<V> index) {
        java.util.concurrent.ConcurrentMap<String, Set<String>> built = indexes.get(index);
        if (built != null) {
            return built;
        }
        synchronized (filing) {
            built = indexes.get(index);
            if (built == null) {
                java.util.concurrent.ConcurrentMap<String, Set<String>> fresh =
                        index instanceof Table.OrderedIndex<V> ? new java.util.concurrent.ConcurrentSkipListMap<>()
                                : new ConcurrentHashMap<>();
                committed.forEach((k, v) -> index.keys(v, ik -> fresh.computeIfAbsent(ik,
                        x -> ConcurrentHashMap.newKeySet()).add(k)));
                indexes.put(index, fresh);
                built = fresh;
            }
            return built;
        }
    }

    /** The index keys {@link #refile} compares, kept from one call to the next; under {@link #filing}. */
    private final List<String> refiledWas = new ArrayList<>(4);
    private final List<String> refiledIs = new ArrayList<>(4);

    /** Files {@code key} under the index keys of {@code now} instead of those of {@code before}; under {@link #filing}. */
    private void refile(String key, V before, V now) {
        if (indexes.isEmpty()) {
            return;
        }
        List<String> was = refiledWas;
        List<String> is = refiledIs;
        indexes.forEach((index, filed) -> {
            was.clear();
            is.clear();
            if (before != null) {
                index.keys(before, was::add);
            }
            if (now != null) {
                index.keys(now, is::add);
            }
            for (String ik : was) {
                if (!is.contains(ik)) {
                    Set<String> s = filed.get(ik);
                    if (s != null && s.remove(key) && s.isEmpty()) {
                        filed.remove(ik);
                    }
                }
            }
            for (String ik : is) {
                if (!was.contains(ik)) {
                    filed.computeIfAbsent(ik, x -> ConcurrentHashMap.newKeySet()).add(key);
                }
            }
        });
    }

    /** Answers a read sent from another thread or member, from the committed records. */
    @Override
    @SuppressWarnings("unchecked")
    public <R> R readCommitted(TableCall<R> call) {
        if (call instanceof TableCall.Get g) {
            return (R) committed.get(g.key());
        }
        if (call instanceof TableCall.Entries) {
            return (R) new TreeMap<>(committed);
        }
        if (call instanceof TableCall.Count c) {
            Filter<V> filter = (Filter<V>) (Filter<?>) c.filter();
            if (filter instanceof Table.Indexed<V> indexed && indexed.exact() && indexed.index() != null) {
                return (R) Integer.valueOf(candidates(filter).size());
            }
            int[] n = {0};
            scanCommitted(filter, false, (k, v) -> {
                n[0]++;
                return true;
            });
            return (R) Integer.valueOf(n[0]);
        }
        Filter<V> filter = call instanceof TableCall.Values v ? (Filter<V>) (Filter<?>) v.filter()
                : (Filter<V>) (Filter<?>) ((TableCall.Any) call).filter();
        if (call instanceof TableCall.Any) {
            boolean[] found = new boolean[1];
            scanCommitted(filter, false, (k, v) -> {
                found[0] = true;
                return false;
            });
            return (R) Boolean.valueOf(found[0]);
        }
        List<V> out = new ArrayList<>();
        scanCommitted(filter, false, (k, v) -> {
            out.add(v);
            return true;
        });
        return (R) out;
    }


    @Override
    public void drainEvents(List<Object> out) {
        for (Map.Entry<String, Object> e : command.entrySet()) {
            if (e.getValue() instanceof io.ichiba.ledger.event.Emits<?> emits && emits.outbox().hasPending()) {
                long upTo = emits.pendingEvents(out::add);
                e.setValue(emits.withOutbox(emits.outbox().acknowledge(upTo)));
            }
        }
    }

    /** The running command ended well: its changes join the batch. */
    @Override
    public void commitCommand() {
        batch.putAll(command);
        command = emptied(command);
    }

    /** The running command failed: its changes are dropped. */
    @Override
    public void rollbackCommand() {
        version++;
        command = emptied(command);
    }

    boolean batchChanged() {
        return !batch.isEmpty();
    }

    /** {@code layer} cleared, or a new map if it held many records (its table would stay that large). */
    private static HashMap<String, Object> emptied(HashMap<String, Object> layer) {
        if (layer.size() > REUSED_UP_TO) {
            return layer instanceof java.util.LinkedHashMap ? new java.util.LinkedHashMap<>() : new HashMap<>();
        }
        layer.clear();
        return layer;
    }

    /** The batch's changes, one per key. */
    @Override
    @SuppressWarnings("unchecked")
    public void changes(List<Change> out) {
        batch.forEach((k, v) -> {
            Object value = v == REMOVED ? null : v;
            io.ichiba.ledger.store.Incremental.Patch<?> patch = null;
            if (value instanceof io.ichiba.ledger.store.Incremental<?> incremental) {
                V before = committed.get(k);
                if (before != null) {
                    patch = ((io.ichiba.ledger.store.Incremental<V>) incremental).since(before);
                }
            }
            out.add(new Change(name, k, value, patch));
        });
    }

    /** The batch was journaled: its changes become the committed records. */
    @SuppressWarnings("unchecked")
    @Override
    public void commitBatch() {
        batch.forEach((k, v) -> put(k, v == REMOVED ? null : (V) v));
        batch = emptied(batch);
        layerFiled.clear();
    }

    /** The batch was refused: its changes are dropped. */
    @Override
    public void rollbackBatch() {
        version++;
        command = emptied(command);
        batch = emptied(batch);
        layerFiled.clear();
    }

    @Override
    public void load(String table, String key, Object value) {
        load(key, value);
    }

    @Override
    public Object committed(String table, String key) {
        return committed.get(key);
    }

    @Override
    public void snapshot(java.util.Map<String, java.util.Map<String, Object>> out) {
        out.put(name, new HashMap<>(committed));
    }

    /** Sets a committed record (takeover's load and replay), or applies a patch to it. */
    @SuppressWarnings("unchecked")
    void load(String key, Object value) {
        version++;
        unknownUpTo = version;
        layerFiled.clear(); // a committed record changed under the layers: filed again when next asked
        if (value instanceof io.ichiba.ledger.store.Incremental.Patched p) {
            V before = committed.get(key);
            if (before == null) {
                throw new IllegalStateException("the journal patches record " + key + " of " + name
                        + ", which the state loaded does not hold");
            }
            value = p.applyTo(before);
        }
        put(key, (V) value);
    }

    private void put(String key, V value) {
        if (value instanceof io.ichiba.ledger.store.Incremental<?> incremental) {
            incremental.committed(); // later changes are told against this one
        }
        synchronized (filing) {
            if (value == null) {
                refile(key, committed.remove(key), null);
                live.remove(key);
                return;
            }
            refile(key, committed.put(key, value), value);
        }
        if (value instanceof Settleable s && !s.settled()) {
            live.add(key);
        } else if (value instanceof Settleable) {
            live.remove(key);
        }
    }

    /** Forgets every record (the engine stopped here). */
    @Override
    public void clear() {
        rollbackBatch();
        unknownUpTo = version;
        synchronized (filing) {
            committed.clear();
            indexes.clear();
        }
        live.clear();
    }

    /** Tells the listeners of a journaled record. */
    @SuppressWarnings("unchecked")
    @Override
    public void tell(Object value) {
        V v = (V) value;
        for (Consumer<V> l : localListeners) {
            l.accept(v);
        }
        for (Consumer<V> l : listeners) {
            l.accept(v);
        }
    }

    /** The listeners of every member, told by the remote of records written behind while this is not the engine. */
    List<Consumer<V>> listeners() {
        return listeners;
    }
}
