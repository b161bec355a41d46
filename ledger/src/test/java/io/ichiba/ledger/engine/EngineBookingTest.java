package io.ichiba.ledger.engine;

import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.MutableClock;
import io.ichiba.ledger.Reservations;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.Change;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.market.MarketSettings;
import io.ichiba.ledger.reservation.Reservation;
import io.ichiba.ledger.reservation.ReservationSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13, defect 5: a reservation being booked could be swept as abandoned (on another member's clock) while its
 * booking was under way. On the engine a booking is one command: the reservation is journaled {@code BOOKED} in the
 * same batch as its bookings on its places, so no sweep, on any member, ever sees one half made.
 */
class EngineBookingTest {

    @AfterEach
    void close() {
        Engines.closeAll();
    }

    @Test
    void aBookingIsJournaledWholeWithItsPlaces() {
        InMemoryJournal journal = new InMemoryJournal();
        EngineStore store = Engines.started(new Engines.Forwarding(journal) {
            @Override
            public boolean writeBehind(long epoch, long seq, Map<String, Map<String, Object>> changes) {
                return false; // every batch stays in the journal, to be read below
            }
        });
        MutableClock clock = new MutableClock();
        Ledger ledger = new Ledger(store, clock, LedgerSettings.defaults(), MarketSettings.defaults(),
                ReservationSettings.defaults());
        assertThat(ledger.createTenant("acme", Map.of("memory", 10_000L)).ok()).isTrue();
        assertThat(ledger.report("n1", Map.of("memory", 10_000L), Map.of()).ok()).isTrue();
        long start = clock.millis() + 600_000;
        for (int i = 0; i < 5; i++) {
            Reservations.Booked b = ledger.reservations().book("r" + i, "acme", new Reservations.Request(
                    Bundle.of(Map.of("memory", 1000L), List.of()), 2, start, start + 600_000, null,
                    Funding.QUOTA_ONLY, 0, 0));
            assertThat(b.ok()).as("r%d", i).isTrue();
        }
        List<Batch> batches = journal.peek().batches();
        assertThat(batches).isNotEmpty();
        long seen = 0;
        for (Batch batch : batches) {
            for (Change c : batch.changes()) {
                if (c.table().equals("reservations") && c.value() instanceof Reservation r) {
                    seen++;
                    assertThat(r.state()).as("journaled %s", r.id()).isEqualTo(Reservation.State.BOOKED);
                    assertThat(batch.changes()).as("%s's bookings on its node, in the same batch", r.id())
                            .anySatisfy(n -> {
                                assertThat(n.table()).isEqualTo("nodes");
                                assertThat(((io.ichiba.ledger.pool.NodeState) n.value()).holdings().bookings()
                                        .values()).anyMatch(bk -> bk.reservation().equals(r.id()));
                            });
                }
            }
        }
        assertThat(seen).isEqualTo(5);
    }
}
