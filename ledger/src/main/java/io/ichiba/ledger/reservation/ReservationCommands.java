package io.ichiba.ledger.reservation;

import io.ichiba.ledger.Command;

import java.util.List;
import java.util.Set;

/** The commands that change a {@link Reservation}, each atomic on its key. */
public final class ReservationCommands {
    private ReservationCommands() {
    }

    /** Moves a reservation from one of {@code from} to {@code to}; answers it afterwards, or null if it could not. */
    public record Move(Set<Reservation.State> from, Reservation.State to, long now, String why)
            implements Command<Reservation, Reservation> {
        @Override
        public Outcome<Reservation, Reservation> apply(Reservation r) {
            if (r == null || !from.contains(r.state())) {
                return Outcome.keep(null);
            }
            Reservation next = r.to(to, now, why);
            return Outcome.write(next, next);
        }
    }

    /** Records what a cancellation refunded. */
    public record Refunded(long amount) implements Command<Reservation, Reservation> {
        @Override
        public Outcome<Reservation, Reservation> apply(Reservation r) {
            if (r == null) {
                return Outcome.keep(null);
            }
            Reservation next = r.withRefund(amount);
            return Outcome.write(next, next);
        }
    }

    /** Records the grants told to make way at the start. */
    public record Recalled(List<String> claims) implements Command<Reservation, Reservation> {
        @Override
        public Outcome<Reservation, Reservation> apply(Reservation r) {
            if (r == null) {
                return Outcome.keep(null);
            }
            Reservation next = r.withRecalled(claims);
            return Outcome.write(next, next);
        }
    }

    /** Removes an ended reservation after the retention time. */
    public record Purge(long cutoff) implements Command<Reservation, Boolean> {
        @Override
        public Outcome<Reservation, Boolean> apply(Reservation r) {
            if (r != null && r.state().isFinal() && r.updatedAt() < cutoff) {
                return Outcome.write(null, true);
            }
            return Outcome.keep(false);
        }
    }
}
