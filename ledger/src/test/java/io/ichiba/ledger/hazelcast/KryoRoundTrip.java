package io.ichiba.ledger.hazelcast;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.Journal;
import io.ichiba.ledger.journal.Takeover;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A journal that writes every batch with the members' Kryo ({@link KryoSerializer}, without its fallback to Java
 * serialization), reads it back, and checks the copy equals the batch field by field, before passing the batch on:
 * every record the ledger's contract makes must cross between members whole (or as its patch, {@link
 * io.ichiba.ledger.store.Incremental}).
 */
public final class KryoRoundTrip implements Journal {
    private final Journal inner;
    private final Kryo kryo = KryoSerializer.newKryo();

    /** Wraps {@code inner}. */
    public KryoRoundTrip(Journal inner) {
        this.inner = inner;
    }

    /** Writes {@code value} with Kryo and reads it back. */
    public static <T> T copy(Kryo kryo, T value) {
        Output out = new Output(256, -1);
        kryo.writeObject(out, value);
        @SuppressWarnings("unchecked")
        T back = (T) kryo.readObject(new Input(out.toBytes()), value.getClass());
        return back;
    }

    /**
     * Checks {@code copy} equals {@code original} field by field, but for what is not serialized (a place's holdings
     * derive their totals again when first asked, and remember their last changes only where they were made).
     */
    public static void assertEqualFieldByField(Object copy, Object original) {
        assertThat(copy).usingRecursiveComparison()
                .ignoringFieldsMatchingRegexes(".*holdings\\.(totals|from|changed|changedBooking|depth)")
                .isEqualTo(original);
    }

    @Override
    public Takeover takeOver() {
        return inner.takeOver();
    }

    @Override
    public synchronized void append(Batch batch) {
        // as another member gets it: a record that changed little as its patch
        Batch written = new Batch(batch.epoch(), batch.seq(), batch.changes().stream()
                .map(io.ichiba.ledger.journal.Change::written).toList(), batch.time(), batch.events(),
                batch.eventsBefore());
        Batch back = copy(kryo, batch);
        assertEqualFieldByField(back, written);
        HazelcastJournal.Versioned v = new HazelcastJournal.Versioned(batch.seq(), batch);
        assertEqualFieldByField(copy(kryo, v), new HazelcastJournal.Versioned(batch.seq(), written));
        inner.append(batch);
    }

    @Override
    public boolean writeBehind(long epoch, long seq, Map<String, Map<String, Object>> changes) {
        return inner.writeBehind(epoch, seq, changes);
    }
}
