package io.ichiba.ledger;

import io.ichiba.ledger.hazelcast.KryoSerializer;
import io.ichiba.ledger.pool.Tallied;
import io.ichiba.ledger.tenant.TenantState;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tenant's earmarks and loan shares ({@link Tallied}): after any sequence of changes, the map is the plain sorted map
 * the same changes make, and every total (offered, lent, borrowed, entitlement) is the sum a walk of it gives; a
 * tenant written and read back (Java serialization, Kryo) is equal and still summed.
 */
class TalliedProperties {

    record Change(String loan, String kind, long amount, boolean lent, boolean ending, boolean remove) {
    }

    @Provide
    Arbitrary<List<Change>> changes() {
        return Combinators.combine(Arbitraries.integers().between(0, 12).map(i -> "l" + i),
                Arbitraries.of("memory", "disk"), Arbitraries.longs().between(1, 1000), Arbitraries.of(true, false),
                Arbitraries.of(true, false), Arbitraries.integers().between(0, 4).map(i -> i == 0))
                .as(Change::new).list().ofMaxSize(40);
    }

    @Property(tries = 300)
    void totalsAreTheSumsOfTheMap(@ForAll("changes") List<Change> changes) throws Exception {
        TenantState t = new TenantState("acme", new TreeMap<>(Map.of("memory", 5000L, "disk", 700L)), null, 0);
        TreeMap<String, TenantState.LoanShare> loans = new TreeMap<>();
        TreeMap<String, TenantState.Earmark> marks = new TreeMap<>();
        for (Change c : changes) {
            TenantState.LoanShare s = c.remove() ? null : new TenantState.LoanShare(c.kind(), c.amount(), c.lent(),
                    c.ending());
            TenantState.Earmark e = c.remove() ? null : new TenantState.Earmark(c.kind(), c.amount());
            t = t.withLoan(c.loan(), s).withEarmark("o-" + c.loan(), e);
            if (s == null) {
                loans.remove(c.loan());
                marks.remove("o-" + c.loan());
            } else {
                loans.put(c.loan(), s);
                marks.put("o-" + c.loan(), e);
            }
            assertThat(t.loans()).isEqualTo(loans).hasSameHashCodeAs(loans);
            assertThat(t.earmarks()).isEqualTo(marks);
            assertThat(List.copyOf(t.loans().keySet())).isEqualTo(List.copyOf(loans.keySet()));
            for (String kind : List.of("memory", "disk")) {
                long lent = loans.values().stream().filter(x -> x.lent() && x.kind().equals(kind))
                        .mapToLong(TenantState.LoanShare::amount).sum();
                long borrowed = loans.values().stream().filter(x -> !x.lent() && x.kind().equals(kind))
                        .mapToLong(TenantState.LoanShare::amount).sum();
                long live = loans.values().stream().filter(x -> !x.lent() && !x.ending() && x.kind().equals(kind))
                        .mapToLong(TenantState.LoanShare::amount).sum();
                long offered = marks.values().stream().filter(x -> x.kind().equals(kind))
                        .mapToLong(TenantState.Earmark::amount).sum();
                assertThat(t.lent(kind)).isEqualTo(lent);
                assertThat(t.borrowed(kind)).isEqualTo(borrowed);
                assertThat(t.offered(kind)).isEqualTo(offered);
                assertThat(t.entitlement(kind, true)).isEqualTo(t.quota(kind) + borrowed - lent - offered);
                assertThat(t.entitlement(kind, false)).isEqualTo(t.quota(kind) + live - lent - offered);
                assertThat(t.lent().getOrDefault(kind, 0L)).isEqualTo(lent);
                assertThat(t.borrowed().getOrDefault(kind, 0L)).isEqualTo(borrowed);
                assertThat(t.offered().getOrDefault(kind, 0L)).isEqualTo(offered);
            }
        }
        for (TenantState back : List.of(javaRoundTrip(t), (TenantState) KryoSerializer.fromBytes(
                KryoSerializer.toBytes(t)))) {
            assertThat(back).isEqualTo(t);
            assertThat(back.loans()).isInstanceOf(Tallied.class);
            assertThat(back.lent("memory")).isEqualTo(t.lent("memory"));
            assertThat(back.entitlement("disk", false)).isEqualTo(t.entitlement("disk", false));
        }
    }

    private static TenantState javaRoundTrip(TenantState t) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(t);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (TenantState) in.readObject();
        }
    }
}
