package io.ichiba.ledger.handler;

import io.ichiba.ledger.Command;
/** The commands that change bindings, deliveries and the dispatch cursor, each atomic on its key. */
public final class HandlerCommands {
    private HandlerCommands() {
    }

    /** Enables or disables a binding, and/or changes its priority; answers it afterwards (null if gone). */
    public record Update(Boolean enabled, Integer priority) implements Command<Binding, Binding> {
        @Override
        public Outcome<Binding, Binding> apply(Binding b) {
            if (b == null) {
                return Outcome.keep(null);
            }
            Binding next = b;
            if (enabled != null) {
                next = next.withEnabled(enabled);
            }
            if (priority != null) {
                next = next.withPriority(priority);
            }
            return Outcome.write(next, next);
        }
    }

    /** Records an attempt on a binding: its counters, its last error, and the session its handler answered. */
    public record Record(boolean ok, String error, String session, long now) implements Command<Binding, Binding> {
        @Override
        public Outcome<Binding, Binding> apply(Binding b) {
            if (b == null) {
                return Outcome.keep(null);
            }
            Binding next = b.recorded(ok, error, session, now);
            return Outcome.write(next, next);
        }
    }

    /** Removes a binding; answers whether it was there. */
    public record Remove<V>() implements Command<V, Boolean> {
        @Override
        public Outcome<V, Boolean> apply(V v) {
            return v == null ? Outcome.keep(false) : Outcome.write(null, true);
        }
    }

    /** Applies an attempt's outcome to a delivery; answers it afterwards. */
    public record Attempted(String binding, boolean ok, String error, int maxAttempts, long backoffMs, long now)
            implements Command<Delivery, Delivery> {
        @Override
        public Outcome<Delivery, Delivery> apply(Delivery d) {
            if (d == null) {
                return Outcome.keep(null);
            }
            Delivery next = d.attempted(binding, ok, error, maxAttempts, backoffMs, now);
            return Outcome.write(next, next);
        }
    }

    /** Skips a binding's step of a delivery (disabled or removed); answers the delivery afterwards. */
    public record Skip(String binding, long now) implements Command<Delivery, Delivery> {
        @Override
        public Outcome<Delivery, Delivery> apply(Delivery d) {
            if (d == null) {
                return Outcome.keep(null);
            }
            Delivery next = d.skipped(binding, now);
            return Outcome.write(next, next);
        }
    }

    /** Removes a settled delivery made before {@code cutoff}. */
    public record PurgeDelivery(long cutoff) implements Command<Delivery, Boolean> {
        @Override
        public Outcome<Delivery, Boolean> apply(Delivery d) {
            return d != null && d.done() && d.createdAt() < cutoff ? Outcome.write(null, true) : Outcome.keep(false);
        }
    }

    /**
     * The dispatcher's place in the event log.
     *
     * @param seq the last event handed to the handlers
     */
    public record Cursor(long seq) implements java.io.Serializable {
    }

    /** Moves the cursor forward to {@code seq} (never back); answers the cursor afterwards. */
    public record Advance(long seq) implements Command<Cursor, Cursor> {
        @Override
        public Outcome<Cursor, Cursor> apply(Cursor c) {
            if (c != null && c.seq() >= seq) {
                return Outcome.keep(c);
            }
            Cursor next = new Cursor(seq);
            return Outcome.write(next, next);
        }
    }
}
