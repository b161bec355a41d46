package io.ichiba.ledger.engine;

import io.ichiba.ledger.Command;
import io.ichiba.ledger.journal.Change;
import io.ichiba.ledger.market.Book;
import io.ichiba.ledger.store.Table;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The markets' books in the engine: each kind's {@link Book} is kept live (mutable, changed in place by the market's
 * commands on the engine's thread) and journaled as its parts ({@link Book.Head}, an {@link Book.Entry} per order, a
 * {@link Book.Sample} per price sample), so a batch that places one order carries that order, the orders it traded
 * with and the book's head, not the whole book; and what is written behind is immutable records, never the book the
 * engine is changing.
 *
 * <pre>
 *   live[kind]      the book as the running command sees it
 *   batch parts     what the running batch's commands changed, drained from the live books after each command
 *   committed parts what the journal holds: a book is rebuilt from them (takeover), and with the batch's parts when a
 *                   command failed half way (its changes to the live book are undone that way)
 * </pre>
 *
 * <p>Books are read only through their commands, on the engine's thread: a call from another thread or member is a
 * command of the next batch, and a read of the committed state ({@link #readCommitted}) is refused.
 */
final class BookTable implements Table<Book>, Layered {
    private static final Object REMOVED = new Object();
    private static final List<String> NAMES = List.of(Book.HEADS, Book.ORDERS, Book.PRICES);

    private final EngineStore.Registry registry;
    /** The committed parts, by table, by kind, by key. */
    private final Map<String, Map<String, Map<String, Object>>> committed = new HashMap<>();
    /** The running batch's parts (of commands that ended well), by table, by key; {@link #REMOVED} for removals. */
    private final Map<String, LinkedHashMap<String, Object>> batch = new HashMap<>();
    private final Map<String, Book> live = new HashMap<>();
    /** Kinds whose live book must be made again from the parts before it is used (after a load or a rollback). */
    private final Set<String> stale = new LinkedHashSet<>();
    private final Set<String> inCommand = new LinkedHashSet<>();
    private long version;

    BookTable(EngineStore.Registry registry) {
        this.registry = registry;
        for (String t : NAMES) {
            committed.put(t, new HashMap<>());
            batch.put(t, new LinkedHashMap<>());
        }
    }

    @Override
    public List<String> names() {
        return NAMES;
    }

    private boolean inline() {
        return registry.engine().onEngineThread();
    }

    // ---------------------------------------------------------------- Table

    /** On the engine's thread, the live book; from another thread of the engine's member, a copy made there. */
    @Override
    public Book get(String kind) {
        if (!inline()) {
            return onEngine(() -> rebuild(kind));
        }
        return book(kind);
    }

    /** Runs a read on the engine's thread (a command of the next batch that changes nothing). */
    private <R> R onEngine(java.util.function.Supplier<R> read) {
        if (!registry.engine().active()) {
            throw new UnsupportedOperationException("a market's book is read through its commands, or on the "
                    + "engine's member");
        }
        return registry.engine().call(read);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <R> R execute(String kind, Command<Book, R> cmd) {
        if (!inline()) {
            return registry.store().route(Book.HEADS,
                    new TableCall.Execute<>(kind, (Command<Object, R>) (Command<?, R>) cmd));
        }
        Book before = book(kind);
        // before it runs: a command that throws half way through changing the book in place is undone with the
        // command it is part of (rollbackCommand makes the book again from its parts)
        if (inCommand.isEmpty()) {
            registry.touched(this);
        }
        inCommand.add(kind);
        Command.Outcome<Book, R> o = cmd.apply(before);
        if (o.write()) {
            if (o.next() != before) {
                if (o.next() == null) {
                    throw new IllegalStateException("a market's book is never removed: " + kind);
                }
                live.put(kind, o.next().track()); // a new book: every part of it is a change
            }
            version++;
        }
        return o.result();
    }

    /** On the engine's thread, the live books; from another thread of the engine's member, copies made there. */
    @Override
    public Map<String, Book> entries() {
        boolean inline = inline();
        if (!inline) {
            return onEngine(() -> books(false));
        }
        return books(true);
    }

    /** Every kind's book: the live ones, or copies made from their parts. Engine thread only. */
    private Map<String, Book> books(boolean live) {
        Map<String, Book> out = new TreeMap<>();
        for (String kind : kinds()) {
            Book b = live ? book(kind) : rebuild(kind);
            if (b != null) {
                out.put(kind, b);
            }
        }
        return out;
    }

    @Override
    public Collection<Book> values(Filter<Book> filter) {
        List<Book> out = new ArrayList<>();
        entries().values().forEach(b -> {
            if (filter.test(b)) {
                out.add(b);
            }
        });
        return out;
    }

    @Override
    public Collection<String> localKeys(Filter<Book> filter) {
        if (!inline() && !registry.engine().active()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        entries().forEach((k, b) -> {
            if (filter.test(b)) {
                out.add(k);
            }
        });
        return out;
    }

    @Override
    public long version() {
        return inline() ? version : -1;
    }

    @Override
    public void listen(Consumer<Book> listener) {
        throw new UnsupportedOperationException("a market's book is not listened to");
    }

    @Override
    public void listenLocal(Consumer<Book> listener) {
        throw new UnsupportedOperationException("a market's book is not listened to");
    }

    private Set<String> kinds() {
        Set<String> out = new LinkedHashSet<>(live.keySet());
        out.addAll(committed.get(Book.HEADS).keySet());
        out.addAll(committed.get(Book.ORDERS).keySet());
        for (String key : batch.get(Book.HEADS).keySet()) {
            out.add(key);
        }
        return out;
    }

    /** The live book of {@code kind} (made from its parts if stale), or {@code null}. */
    private Book book(String kind) {
        if (stale.remove(kind)) {
            Book b = rebuild(kind);
            if (b == null) {
                live.remove(kind);
            } else {
                live.put(kind, b);
            }
        }
        return live.get(kind);
    }

    /** The book of {@code kind} from its committed parts and the running batch's. */
    @SuppressWarnings("unchecked")
    private Book rebuild(String kind) {
        Object head = effective(Book.HEADS, kind, kind);
        Map<String, Book.Entry> entries = new HashMap<>();
        parts(Book.ORDERS, kind).forEach((k, v) -> entries.put(k, (Book.Entry) v));
        Map<String, Book.Sample> samples = new HashMap<>();
        parts(Book.PRICES, kind).forEach((k, v) -> samples.put(k, (Book.Sample) v));
        if (head == null && entries.isEmpty()) {
            return null;
        }
        return Book.rebuild(kind, (Book.Head) head, entries.values(), samples);
    }

    private Object effective(String table, String kind, String key) {
        Object v = batch.get(table).get(key);
        if (v != null) {
            return v == REMOVED ? null : v;
        }
        Map<String, Object> ofKind = committed.get(table).get(kind);
        return ofKind == null ? null : ofKind.get(key);
    }

    /** The parts of {@code kind} in {@code table}: committed, with the running batch's over them. */
    private Map<String, Object> parts(String table, String kind) {
        Map<String, Object> out = new HashMap<>();
        Map<String, Object> ofKind = committed.get(table).get(kind);
        if (ofKind != null) {
            out.putAll(ofKind);
        }
        batch.get(table).forEach((k, v) -> {
            if (Book.kindOf(k).equals(kind)) {
                if (v == REMOVED) {
                    out.remove(k);
                } else {
                    out.put(k, v);
                }
            }
        });
        return out;
    }

    // ---------------------------------------------------------------- Layered

    @Override
    public void commitCommand() {
        for (String kind : inCommand) {
            Book b = live.get(kind);
            if (b != null) {
                b.drain((table, key, value) -> batch.get(table).put(key, value == null ? REMOVED : value));
            }
        }
        inCommand.clear();
    }

    @Override
    public void rollbackCommand() {
        version++;
        for (String kind : inCommand) {
            live.remove(kind); // changed in place half way: made again from the parts when next used
            stale.add(kind);
        }
        inCommand.clear();
    }

    @Override
    public void changes(List<Change> out) {
        batch.forEach((table, parts) -> parts.forEach((k, v) -> out.add(new Change(table, k,
                v == REMOVED ? null : v))));
    }

    @Override
    public void commitBatch() {
        batch.forEach((table, parts) -> {
            parts.forEach((k, v) -> put(table, k, v == REMOVED ? null : v));
            parts.clear();
        });
    }

    @Override
    public void rollbackBatch() {
        version++;
        Set<String> touched = new LinkedHashSet<>(inCommand);
        batch.values().forEach(parts -> parts.keySet().forEach(k -> touched.add(Book.kindOf(k))));
        batch.values().forEach(Map::clear);
        inCommand.clear();
        for (String kind : touched) {
            live.remove(kind);
            stale.add(kind);
        }
    }

    @Override
    public void clear() {
        version++;
        batch.values().forEach(Map::clear);
        committed.values().forEach(Map::clear);
        live.clear();
        stale.clear();
        inCommand.clear();
    }

    @Override
    public void load(String table, String key, Object value) {
        version++;
        put(table, key, value);
        String kind = Book.kindOf(key);
        live.remove(kind);
        stale.add(kind);
    }

    private void put(String table, String key, Object value) {
        Map<String, Map<String, Object>> byKind = committed.get(table);
        if (byKind == null) {
            throw new IllegalArgumentException("no book table " + table);
        }
        String kind = Book.kindOf(key);
        if (value == null) {
            Map<String, Object> ofKind = byKind.get(kind);
            if (ofKind != null) {
                ofKind.remove(key);
                if (ofKind.isEmpty()) {
                    byKind.remove(kind);
                }
            }
        } else {
            byKind.computeIfAbsent(kind, k -> new HashMap<>()).put(key, value);
        }
    }

    @Override
    public void snapshot(Map<String, Map<String, Object>> out) {
        committed.forEach((table, kinds) -> {
            Map<String, Object> all = new HashMap<>();
            kinds.values().forEach(all::putAll);
            out.put(table, all);
        });
    }

    @Override
    public Object committed(String table, String key) {
        Map<String, Object> ofKind = committed.get(table).get(Book.kindOf(key));
        return ofKind == null ? null : ofKind.get(key);
    }

    @Override
    public void tell(Object value) {
        // no one listens to a book's parts
    }

    @Override
    public <R> R readCommitted(TableCall<R> call) {
        throw new UnsupportedOperationException("a market's book is read through its commands, not " + call);
    }
}
