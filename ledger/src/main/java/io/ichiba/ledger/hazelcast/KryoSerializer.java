package io.ichiba.ledger.hazelcast;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.ClosureSerializer;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy;
import com.esotericsoftware.kryo.util.Pool;
import com.hazelcast.config.Config;
import com.hazelcast.config.SerializerConfig;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.StreamSerializer;
import org.objenesis.strategy.StdInstantiatorStrategy;
import org.pcollections.TreePMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Writes what the members send each other most — a batch appended to the journal and its backup, the records written
 * behind into the state maps and their backups, the events those maps send to listening members, the calls other
 * members send the engine's and their answers — with Kryo instead of Java serialization. Profiled with three members
 * under load, Java serialization (its class descriptors written and parsed again in every message) was most of every
 * member's CPU.
 *
 * <p>One serializer per top-level type ({@link #register}); inside, Kryo writes the graph: records through their
 * canonical constructors, JDK immutable and unmodifiable collections rebuilt through their public factories (Java 17
 * does not let Kryo reach their fields), serializable lambdas (filters, commands) as Java would. An object Kryo cannot
 * write is written by Java serialization instead, marked so, and logged once per class: slower, never wrong.
 *
 * @param <T> the top-level type
 */
public final class KryoSerializer<T> implements StreamSerializer<T> {
    private static final Logger LOG = LoggerFactory.getLogger(KryoSerializer.class);
    /** The first Hazelcast type id these serializers use (one per type, upward). */
    static final int FIRST_TYPE_ID = 7301;
    private static final byte KRYO = 1;
    private static final byte JAVA = 2;
    private static final Set<Class<?>> FELL_BACK = ConcurrentHashMap.newKeySet();

    /** The largest buffer given back to {@link #OUTPUTS}: a larger one (a rare large batch) is left to the GC. */
    private static final int KEPT_BUFFER = 256 << 10;
    /**
     * Buffers to write into, used again: a batch of tens of kilobytes written into a new one grew it by doubling
     * from 256 bytes, then was copied out, and Hazelcast copied it again.
     */
    private static final Pool<Output> OUTPUTS = new Pool<>(true, false, 16) {
        @Override
        protected Output create() {
            return new Output(4096, -1);
        }
    };
    private static final Pool<Kryo> POOL = new Pool<>(true, false, 64) {
        @Override
        protected Kryo create() {
            return newKryo();
        }
    };

    private final Class<T> type;
    private final int typeId;

    private KryoSerializer(Class<T> type, int typeId) {
        this.type = type;
        this.typeId = typeId;
    }

    /** The types whose messages Kryo writes: each with its own serializer and type id. */
    static List<Class<?>> types() {
        return List.of(HazelcastJournal.Append.class, HazelcastJournal.PutIfNewer.class,
                HazelcastJournal.Versioned.class, HazelcastJournal.Head.class, io.ichiba.ledger.journal.Batch.class,
                HazelcastRemote.Forward.class, HazelcastRemote.Operate.class, HazelcastRemote.Answer.class,
                io.ichiba.ledger.event.Event.class); // the event log's entries: written for the ring buffer by Kryo too
    }

    /** Adds a serializer for each of {@link #types} to {@code config}. */
    public static Config register(Config config) {
        int id = FIRST_TYPE_ID;
        for (Class<?> t : types()) {
            config.getSerializationConfig().addSerializerConfig(new SerializerConfig().setTypeClass(t)
                    .setImplementation(of(t, id++)));
        }
        return config;
    }

    private static <X> KryoSerializer<X> of(Class<X> type, int id) {
        return new KryoSerializer<>(type, id);
    }

    /** A Kryo set up for the ledger's values; one per thread at a time (from the pool). */
    static Kryo newKryo() {
        // a class named in the bytes is read only if the allow-list has it (one registered by id is ours)
        Kryo k = new Kryo(new AllowListResolver(), new com.esotericsoftware.kryo.util.MapReferenceResolver());
        k.setRegistrationRequired(false);
        k.setReferences(true);
        k.setInstantiatorStrategy(new DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
        k.setClassLoader(KryoSerializer.class.getClassLoader());
        // a serializable lambda (a command or a filter some records carry) as Java writes it: Kryo's own closure
        // serializer needs java.lang.invoke opened to it, which Java 17 does not do
        k.register(ClosureSerializer.Closure.class, new JavaWritten());
        // an error sent back to the member that asked: as Java writes it (its stack, its cause, its suppressed)
        k.addDefaultSerializer(Throwable.class, new JavaWritten());
        ImmutableCollectionsSerializers.addDefaultSerializers(k);
        // Collections.unmodifiable*, Arrays.asList: rebuilt from their elements through the public factories
        k.addDefaultSerializer(Collections.unmodifiableSortedMap(new TreeMap<>()).getClass(),
                new MapCopy<SortedMap<Object, Object>>((c, m) -> {
                    TreeMap<Object, Object> t = new TreeMap<>(c);
                    t.putAll(m);
                    return Collections.unmodifiableSortedMap(t);
                }));
        k.addDefaultSerializer(Collections.unmodifiableMap(new java.util.HashMap<>()).getClass(),
                new MapCopy<Map<Object, Object>>((c, m) -> Collections.unmodifiableMap(m)));
        // a persistent map's empty tree is a singleton its code compares by identity (Java serialization restores it
        // with readResolve): rebuilt through the public factory
        k.addDefaultSerializer(io.ichiba.ledger.journal.Change.class, new ChangeWritten());
        k.addDefaultSerializer(io.ichiba.ledger.pool.Tallied.class, new MapCopy<Map<Object, Object>>(
                (c, m) -> tallied(m)));
        k.addDefaultSerializer(TreePMap.class, new MapCopy<TreePMap<Object, Object>>((c, m) -> c == null
                ? TreePMap.from(naturalOrder(), m) : TreePMap.from(c, m)));
        k.addDefaultSerializer(Collections.unmodifiableList(new ArrayList<>()).getClass(),
                new CollectionCopy<List<Object>>(c -> Collections.unmodifiableList(new ArrayList<>(c))));
        k.addDefaultSerializer(Collections.unmodifiableList(new java.util.LinkedList<>()).getClass(),
                new CollectionCopy<List<Object>>(c -> Collections.unmodifiableList(new ArrayList<>(c))));
        k.addDefaultSerializer(Collections.unmodifiableSortedSet(new TreeSet<>()).getClass(),
                new CollectionCopy<SortedSet<Object>>(c -> Collections.unmodifiableSortedSet(new TreeSet<>(c))));
        // (the ledger's sorted sets and maps wrapped unmodifiable are in natural order; a comparator is kept above)
        k.addDefaultSerializer(Collections.unmodifiableSet(new java.util.HashSet<>()).getClass(),
                new CollectionCopy<Set<Object>>(c -> Collections.unmodifiableSet(new java.util.LinkedHashSet<>(c))));
        k.addDefaultSerializer(Collections.unmodifiableCollection(new ArrayList<>()).getClass(),
                new CollectionCopy<Collection<Object>>(c -> Collections.unmodifiableCollection(new ArrayList<>(c))));
        k.addDefaultSerializer(java.util.Arrays.asList().getClass(),
                new CollectionCopy<List<Object>>(c -> java.util.Arrays.asList(c.toArray())));
        k.addDefaultSerializer(Collections.emptyMap().getClass(), new Constant<>(Collections.emptyMap()));
        k.addDefaultSerializer(Collections.emptyList().getClass(), new Constant<>(Collections.emptyList()));
        k.addDefaultSerializer(Collections.emptySet().getClass(), new Constant<>(Collections.emptySet()));
        k.addDefaultSerializer(Collections.emptySortedMap().getClass(), new Constant<>(Collections.emptySortedMap()));
        k.addDefaultSerializer(Collections.emptySortedSet().getClass(), new Constant<>(Collections.emptySortedSet()));
        return k;
    }

    /**
     * Writes {@code value}, whatever its class, as Kryo does for the members (for other transports); what Kryo cannot
     * write, by Java serialization, marked so.
     */
    public static byte[] toBytes(Object value) {
        try {
            return encode(value, (kryo, out) -> kryo.writeClassAndObject(out, value), java.util.Arrays::copyOf);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Reads what {@link #toBytes} wrote. */
    public static Object fromBytes(byte[] bytes) {
        return decode(bytes, (kryo, in) -> kryo.readClassAndObject(in));
    }

    @Override
    public int getTypeId() {
        return typeId;
    }

    @Override
    public void write(ObjectDataOutput out, T object) throws IOException {
        // as out.writeByteArray would write them (the length, then the bytes), without a copy of its own
        encode(object, (kryo, o) -> kryo.writeObject(o, object), (bytes, length) -> {
            out.writeInt(length);
            out.write(bytes, 0, length);
            return null;
        });
    }

    /** What is done with the bytes written (the first {@code length} of {@code bytes}, which are lent). */
    private interface Written<R> {
        R take(byte[] bytes, int length) throws IOException;
    }

    @Override
    public T read(ObjectDataInput in) throws IOException {
        return type.cast(decode(in.readByteArray(), (kryo, i) -> kryo.readObject(i, type)));
    }

    /**
     * The bytes of {@code value}: a mark, then what {@code kryoWrite} wrote, or, if Kryo cannot write it (logged once
     * per class), what Java serialization writes.
     */
    private static <R> R encode(Object value, java.util.function.BiConsumer<Kryo, Output> kryoWrite,
                                Written<R> written) throws IOException {
        Output o = OUTPUTS.obtain();
        try {
            if (kryoWrite(value, kryoWrite, o)) {
                return written.take(o.getBuffer(), o.position());
            }
        } finally {
            if (o.getBuffer().length <= KEPT_BUFFER) {
                OUTPUTS.free(o);
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(JAVA);
        try (ObjectOutputStream java = new ObjectOutputStream(bytes)) {
            java.writeObject(value);
        }
        return written.take(bytes.toByteArray(), bytes.size());
    }

    /** Writes the mark and {@code value} into {@code o} with Kryo; false if Kryo cannot (logged once per class). */
    private static boolean kryoWrite(Object value, java.util.function.BiConsumer<Kryo, Output> kryoWrite, Output o) {
        Kryo kryo = POOL.obtain();
        try {
            o.reset();
            o.writeByte(KRYO);
            kryoWrite.accept(kryo, o);
            POOL.free(kryo);
            return true;
        } catch (RuntimeException e) {
            // not given back: a write that threw leaves the Kryo's state (its generic types, its references) half
            // way, and the next value it wrote would be written against that (or fail)
            if (FELL_BACK.add(value.getClass())) {
                LOG.warn("Kryo cannot write a {}; written by Java serialization instead: {}",
                        value.getClass().getName(), e.toString());
            }
            return false;
        }
    }

    /** Reads what {@link #encode} wrote: by Java serialization if so marked, else with {@code kryoRead}. */
    private static Object decode(byte[] bytes, java.util.function.BiFunction<Kryo, Input, Object> kryoRead) {
        if (bytes[0] == JAVA) {
            return readJava(bytes, 1, bytes.length - 1);
        }
        Kryo kryo = POOL.obtain();
        Input in = new Input(bytes);
        in.readByte();
        Object value = kryoRead.apply(kryo, in); // a read that throws does not give its Kryo back (see encode)
        POOL.free(kryo);
        return value;
    }

    /** Reads an object Java serialization wrote, refusing any class outside {@link SerialAllowList}. */
    private static Object readJava(byte[] bytes, int offset, int length) {
        try (ObjectInputStream java = new ObjectInputStream(new ByteArrayInputStream(bytes, offset, length)) {
            @Override
            protected Class<?> resolveClass(java.io.ObjectStreamClass desc) throws IOException,
                    ClassNotFoundException {
                return Class.forName(desc.getName(), false, KryoSerializer.class.getClassLoader());
            }
        }) {
            java.setObjectInputFilter(SerialAllowList.javaFilter());
            return java.readObject();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Kryo's class resolver, that refuses to read a class named in the bytes unless {@link SerialAllowList} has it:
     * checked once the class is loaded (not initialized), before anything of it is built. A class registered by id
     * (Kryo's own, the closure marker) was registered here, not named by the sender.
     */
    private static final class AllowListResolver extends com.esotericsoftware.kryo.util.DefaultClassResolver {
        @Override
        public com.esotericsoftware.kryo.Registration readClass(Input input) {
            com.esotericsoftware.kryo.Registration r = super.readClass(input);
            if (r != null && r.getId() == NAME && !SerialAllowList.allowed(r.getType().getName())) {
                throw new com.esotericsoftware.kryo.KryoException(r.getType().getName()
                        + " is not a class members may send each other (SerialAllowList)");
            }
            return r;
        }
    }

    /**
     * An object written by Java serialization inside Kryo's graph (an error, a serializable lambda), read back through
     * the allow-list's filter (Kryo's own {@code JavaSerializer} reads any class).
     */
    private static final class JavaWritten extends Serializer<Object> {
        @Override
        public void write(Kryo kryo, Output out, Object value) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream java = new ObjectOutputStream(bytes)) {
                java.writeObject(value);
            } catch (IOException e) {
                throw new com.esotericsoftware.kryo.KryoException(e);
            }
            out.writeVarInt(bytes.size(), true);
            out.writeBytes(bytes.toByteArray());
        }

        @Override
        public Object read(Kryo kryo, Input in, Class<?> type) {
            int length = in.readVarInt(true);
            return readJava(in.readBytes(length), 0, length);
        }
    }

    /** A batch's change as another member gets it: its patch in place of its record, if it has one. */
    private static final class ChangeWritten extends Serializer<io.ichiba.ledger.journal.Change> {
        ChangeWritten() {
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output out, io.ichiba.ledger.journal.Change c) {
            io.ichiba.ledger.journal.Change w = c.written();
            out.writeString(w.table());
            out.writeString(w.key());
            kryo.writeClassAndObject(out, w.value());
        }

        @Override
        public io.ichiba.ledger.journal.Change read(Kryo kryo, Input in,
                                                   Class<? extends io.ichiba.ledger.journal.Change> type) {
            String table = in.readString();
            String key = in.readString();
            return new io.ichiba.ledger.journal.Change(table, key, kryo.readClassAndObject(in));
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Map<Object, Object> tallied(Map<Object, Object> m) {
        return (Map) io.ichiba.ledger.pool.Tallied.of((Map) m);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static java.util.Comparator<Object> naturalOrder() {
        return (java.util.Comparator) java.util.Comparator.naturalOrder();
    }

    /** Writes a map's comparator (if sorted) and entries, in order, and rebuilds it through {@code make}. */
    private static final class MapCopy<M extends Map<Object, Object>> extends Serializer<M> {
        private final java.util.function.BiFunction<java.util.Comparator<Object>, Map<Object, Object>, M> make;

        MapCopy(java.util.function.BiFunction<java.util.Comparator<Object>, Map<Object, Object>, M> make) {
            this.make = make;
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output output, M map) {
            kryo.writeClassAndObject(output, map instanceof SortedMap<?, ?> sorted ? sorted.comparator() : null);
            output.writeVarInt(map.size(), true);
            for (Map.Entry<Object, Object> e : map.entrySet()) {
                kryo.writeClassAndObject(output, e.getKey());
                kryo.writeClassAndObject(output, e.getValue());
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public M read(Kryo kryo, Input input, Class<? extends M> type) {
            java.util.Comparator<Object> comparator = (java.util.Comparator<Object>) kryo.readClassAndObject(input);
            int n = input.readVarInt(true);
            Map<Object, Object> m = new java.util.LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                Object k = kryo.readClassAndObject(input);
                m.put(k, kryo.readClassAndObject(input));
            }
            return make.apply(comparator, m);
        }
    }

    /** Writes a collection's elements and rebuilds it through {@code make}. */
    private static final class CollectionCopy<C extends Collection<Object>> extends Serializer<C> {
        private final Function<List<Object>, C> make;

        CollectionCopy(Function<List<Object>, C> make) {
            this.make = make;
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output output, C c) {
            output.writeVarInt(c.size(), true);
            for (Object x : c) {
                kryo.writeClassAndObject(output, x);
            }
        }

        @Override
        public C read(Kryo kryo, Input input, Class<? extends C> type) {
            int n = input.readVarInt(true);
            List<Object> l = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                l.add(kryo.readClassAndObject(input));
            }
            return make.apply(l);
        }
    }

    /** A value with one instance (the empty collections): nothing written, the instance read. */
    private static final class Constant<X> extends Serializer<X> {
        private final X value;

        Constant(X value) {
            this.value = value;
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output output, X object) {
        }

        @Override
        public X read(Kryo kryo, Input input, Class<? extends X> type) {
            return value;
        }
    }
}
