package io.ichiba.ledger.hazelcast;

import com.hazelcast.config.Config;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Jobs;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.MutableClock;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.engine.Engines;
import io.ichiba.ledger.handler.PriceAlert;
import io.ichiba.ledger.job.JobRequest;
import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.Change;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.market.OrderRequest;
import io.ichiba.pricing.Side;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What members send each other, written by Kryo: every batch a ledger's day makes (tenants, credits, locks, claims and
 * their holdings, a market with a trade and its loan, a job, a price alert) is read back equal field by field
 * ({@link KryoRoundTrip}); through Hazelcast's serialization, a value Kryo cannot write falls back to Java's.
 */
class KryoSerializerTest {

    @AfterAll
    static void close() {
        Engines.closeAll();
    }

    @Test
    void everyBatchOfALedgersDayIsReadBackEqualFieldByField() {
        EngineStore store = Engines.started(new KryoRoundTrip(new InMemoryJournal()));
        MutableClock clock = new MutableClock();
        Ledger ledger = new Ledger(store, clock, LedgerSettings.defaults());
        ledger.accounts().openSystemAccounts();
        assertThat(ledger.createTenant("team-a", Map.of("memory", 16_384L)).ok()).isTrue();
        assertThat(ledger.createTenant("team-b", Map.of("memory", 4_096L)).ok()).isTrue();
        assertThat(ledger.report("n1", Map.of("memory", 65_536L), Map.of()).ok()).isTrue();
        ledger.accounts().mint("m-a", "team-a", 100_000, null, null);
        ledger.accounts().mint("m-b", "team-b", 100_000, null, null);
        assertThat(ledger.createLock("db", 2).ok()).isTrue();
        clock.advanceMillis(1);

        assertThat(ledger.exchange().place(OrderRequest.of("o1", "team-a", "memory", Side.OFFER, 8192, 7200, 3))
                .ok()).isTrue();
        assertThat(ledger.exchange().place(OrderRequest.of("b1", "team-b", "memory", Side.BID, 4096, 3600, 5))
                .ok()).isTrue();
        assertThat(ledger.submit(ClaimRequest.of("c1", "team-a", Bundle.of(Map.of("memory", 1024L), List.of("db")),
                1, 60, null))
                .ok()).isTrue();
        store.atomically(new Admission(ledger)::pass);
        assertThat(ledger.claim("c1").state()).isEqualTo(ClaimState.GRANTED);
        assertThat(new Jobs(ledger).submit(new JobRequest("j1", "team-b", List.of("echo", "hi"), Map.of("A", "b"),
                Bundle.of(Map.of("memory", 512L), List.of()), 1, 60, null)).ok()).isTrue();
        assertThat(ledger.alerts().create("a1", "team-a", "memory", PriceAlert.Direction.ABOVE, 10).ok()).isTrue();
        assertThat(ledger.release("c1").ok()).isTrue();

        // the market's book travels as its parts (its head, its orders, its trade prints), read back above
        assertThat(ledger.exchange().fills("b1")).hasSize(1);
        assertThat(ledger.exchange().view("memory", 5).lastTradePrice()).isEqualTo(3);
    }

    @Test
    void throughHazelcastAValueKryoCannotWriteIsWrittenByJavaSerialization() {
        InternalSerializationService ss = new DefaultSerializationServiceBuilder()
                .setConfig(KryoSerializer.register(new Config()).getSerializationConfig()).build();
        HazelcastJournal.Versioned plain = new HazelcastJournal.Versioned(3, Map.of("memory", 5L));
        Data written = ss.toData(plain);
        assertThat(written.getType()).as("by the Kryo serializer").isGreaterThanOrEqualTo(KryoSerializer.FIRST_TYPE_ID);
        assertThat((Object) ss.toObject(written)).isEqualTo(plain);

        // Java 17 does not let Kryo into java.util.concurrent.atomic: Java serialization writes it, read back the same
        HazelcastJournal.Versioned odd = new HazelcastJournal.Versioned(4, new AtomicLong(7));
        HazelcastJournal.Versioned back = ss.toObject(ss.toData(odd));
        assertThat(back.seq()).isEqualTo(4);
        assertThat(((AtomicLong) back.value()).get()).isEqualTo(7);

        Batch batch = new Batch(1, 2, List.of(new Change("claims", "c1", plain)), 10);
        KryoRoundTrip.assertEqualFieldByField(ss.toObject(ss.toData(batch)), batch);
    }

    /**
     * The event log's entries go by Kryo: the ring buffer turns every event appended into its stored form, and by
     * Java serialization that was a tenth of a loaded broker's allocation.
     */
    @Test
    void anEventOfTheLogIsWrittenByKryoAndReadBackEqual() {
        InternalSerializationService ss = new DefaultSerializationServiceBuilder()
                .setConfig(KryoSerializer.register(new Config()).getSerializationConfig()).build();
        io.ichiba.ledger.event.Event e = new io.ichiba.ledger.event.Event("claim:c1:0", "claim.queued", 1_893_456_000_000L, "acme",
                "c1", new java.util.TreeMap<>(Map.of("claim", "c1", "bundle", "memory=10", "priority", "0")));
        Data written = ss.toData(e);
        assertThat(written.getType()).as("by the Kryo serializer").isGreaterThanOrEqualTo(KryoSerializer.FIRST_TYPE_ID);
        io.ichiba.ledger.event.Event back = ss.toObject(written);
        assertThat(back).isEqualTo(e);
        assertThat(back.payload()).isInstanceOf(java.util.SortedMap.class).containsEntry("bundle", "memory=10");
    }

    /** A call another member sends the engine's, and its answer, go by Kryo too, and read back as they were. */
    @Test
    void theCallsToTheEnginesMemberAndTheirAnswersAreWrittenByKryo() {
        InternalSerializationService ss = new DefaultSerializationServiceBuilder()
                .setConfig(KryoSerializer.register(new Config()).getSerializationConfig()).build();
        @SuppressWarnings({"unchecked", "rawtypes"})
        io.ichiba.ledger.store.Table.Filter<Object> unseen = (io.ichiba.ledger.store.Table.Filter)
                new ClaimFilters.UnseenQueued();
        HazelcastRemote.Forward<?> call = new HazelcastRemote.Forward<>("claims",
                new io.ichiba.ledger.engine.TableCall.Values(unseen));
        Data written = ss.toData(call);
        assertThat(written.getType()).as("by the Kryo serializer").isGreaterThanOrEqualTo(KryoSerializer.FIRST_TYPE_ID);
        KryoRoundTrip.assertEqualFieldByField(ss.toObject(written), call);

        HazelcastRemote.Answer answer = new HazelcastRemote.Answer(List.of(
                new HazelcastJournal.Versioned(3, Map.of("memory", 5L))));
        Data back = ss.toData(answer);
        assertThat(back.getType()).isGreaterThanOrEqualTo(KryoSerializer.FIRST_TYPE_ID);
        assertThat((Object) ss.toObject(back)).isEqualTo(answer);
    }

    @Test
    void anyValueSentOverAnotherTransportIsReadBackAndWhatKryoCannotWriteFallsBackToJava() {
        HazelcastJournal.Versioned plain = new HazelcastJournal.Versioned(3, Map.of("memory", 5L));
        assertThat(KryoSerializer.fromBytes(KryoSerializer.toBytes(plain))).isEqualTo(plain);
        assertThat(KryoSerializer.fromBytes(KryoSerializer.toBytes(new IllegalStateException("boom"))))
                .isInstanceOf(IllegalStateException.class).hasFieldOrPropertyWithValue("message", "boom");
        Object odd = KryoSerializer.fromBytes(KryoSerializer.toBytes(new AtomicLong(7)));
        assertThat(((AtomicLong) odd).get()).isEqualTo(7);
    }

    /**
     * A write that throws half way (here a map whose iteration fails, as a market's book changed by the engine while
     * the write-behind wrote it did) must not leave its Kryo to the next write: one left to it wrote the journal's
     * next batches, loans and postings against the failed write's generic types (ClassCastException: Java
     * serialization instead, or worse).
     */
    @Test
    void aWriteThatFailedHalfWayLeavesNothingToTheNextWrite() {
        for (int i = 0; i < 200; i++) { // more than the pool keeps: every pooled Kryo has met a failed write
            byte[] failed = KryoSerializer.toBytes(new Names(new Failing(Map.of("a", 1L, "b", 2L, "c", 3L))));
            assertThat(failed[0]).as("what Kryo could not write, Java did").isEqualTo((byte) 2);
        }
        Batch batch = new Batch(1, 2, List.of(new Change("claims", "c1", new HazelcastJournal.Versioned(1, "x")),
                new Change("claims", "c2", null)), 10);
        for (int i = 0; i < 200; i++) {
            byte[] bytes = KryoSerializer.toBytes(batch);
            assertThat(bytes[0]).as("written by Kryo").isEqualTo((byte) 1);
            KryoRoundTrip.assertEqualFieldByField(KryoSerializer.fromBytes(bytes), batch);
        }
    }

    /** A class (not a record, as the market's book) with a generic map. */
    static final class Names implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final Map<String, Long> names;

        Names(Map<String, Long> names) {
            this.names = names;
        }
    }

    /** A map that Kryo cannot walk to its end (Java serialization writes it through its own code). */
    static final class Failing extends java.util.HashMap<String, Long> {
        Failing(Map<String, Long> of) {
            super(of);
        }

        @Override
        public java.util.Set<Map.Entry<String, Long>> entrySet() {
            java.util.Set<Map.Entry<String, Long>> in = super.entrySet();
            return new java.util.AbstractSet<>() {
                @Override
                public java.util.Iterator<Map.Entry<String, Long>> iterator() {
                    java.util.Iterator<Map.Entry<String, Long>> it = in.iterator();
                    return new java.util.Iterator<>() {
                        private int n;

                        @Override
                        public boolean hasNext() {
                            return it.hasNext();
                        }

                        @Override
                        public Map.Entry<String, Long> next() {
                            if (++n == 2) {
                                throw new java.util.ConcurrentModificationException("changed while written");
                            }
                            return it.next();
                        }
                    };
                }

                @Override
                public int size() {
                    return in.size();
                }
            };
        }
    }
}
