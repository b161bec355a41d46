package io.ichiba.ledger.reservation;

import io.ichiba.ledger.store.EndedBefore;
import io.ichiba.ledger.store.Table;
import io.ichiba.ledger.store.Table.Index;
import io.ichiba.ledger.store.Table.Indexed;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Filters and indexes over the reservations: a tenant's, by state, those to purge. Serialisable, evaluated where the
 * data lives; the engine keeps an index the first time a filter asks for it.
 */
public final class ReservationFilters {
    private ReservationFilters() {
    }

    /** Ended reservations, by the second of their last change (in order). */
    public record ReservationsByEnd() implements Table.OrderedIndex<Reservation> {
        @Override
        public void keys(Reservation r, Consumer<String> out) {
            if (r.state().isFinal()) {
                out.accept(EndedBefore.second(r.updatedAt()));
            }
        }
    }

    /** Reservations by state. */
    public record ReservationsByState() implements Index<Reservation> {
        @Override
        public void keys(Reservation r, Consumer<String> out) {
            out.accept(r.state().name());
        }
    }

    /** Reservations by tenant: under {@code tenant} and, until it ends, {@code tenant/live}. */
    public record ReservationsByTenant() implements Index<Reservation> {
        @Override
        public void keys(Reservation r, Consumer<String> out) {
            out.accept(r.tenant());
            if (!r.state().isFinal()) {
                out.accept(r.tenant() + "/live");
            }
        }
    }

    /** Reservations of {@code tenant} (every tenant's if {@code null}). */
    public record ReservationsOf(String tenant) implements Indexed<Reservation> {
        @Override
        public boolean test(Reservation r) {
            return tenant == null || tenant.equals(r.tenant());
        }

        @Override
        public Index<Reservation> index() {
            return tenant == null ? null : new ReservationsByTenant();
        }

        @Override
        public Collection<String> indexKeys() {
            return tenant == null ? List.of() : List.of(tenant);
        }

        @Override
        public boolean exact() {
            return true;
        }
    }

    /** Reservations of {@code tenant} not ended: booked or active. */
    public record LiveReservationsOf(String tenant) implements Indexed<Reservation> {
        @Override
        public boolean test(Reservation r) {
            return tenant.equals(r.tenant()) && !r.state().isFinal();
        }

        @Override
        public Index<Reservation> index() {
            return new ReservationsByTenant();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of(tenant + "/live");
        }

        @Override
        public boolean exact() {
            return true;
        }
    }

    /** Reservations in one of {@code states}. */
    public record ReservationIn(Set<Reservation.State> states) implements Indexed<Reservation> {
        @Override
        public boolean test(Reservation r) {
            return states.contains(r.state());
        }

        @Override
        public Index<Reservation> index() {
            return new ReservationsByState();
        }

        @Override
        public Collection<String> indexKeys() {
            return states.stream().map(Reservation.State::name).toList();
        }

        @Override
        public boolean exact() {
            return true;
        }
    }

    /** Ended reservations last changed before {@code cutoff}. */
    public record PurgeableReservations(long cutoff) implements EndedBefore<Reservation> {
        @Override
        public boolean test(Reservation r) {
            return r.state().isFinal() && r.updatedAt() < cutoff;
        }

        @Override
        public Index<Reservation> index() {
            return new ReservationsByEnd();
        }
    }
}
