package io.ichiba.ledger.handler;

import io.ichiba.ledger.Command;
/** The changes of a price alert, each atomic on the alert's key. */
public final class AlertCommands {
    private AlertCommands() {
    }

    /**
     * The spot updater's new posted price of the alert's kind: the alert records it and fires if it crossed. An
     * observation that changes nothing (same price, same side) is not written.
     */
    public record Observe(long price, long now) implements Command<PriceAlert, Boolean> {
        @Override
        public Outcome<PriceAlert, Boolean> apply(PriceAlert a) {
            if (a == null || a.state() != PriceAlert.State.ACTIVE) {
                return Outcome.keep(false);
            }
            if (a.met() != null && a.lastPrice() == price) {
                return Outcome.keep(false);
            }
            PriceAlert next = a.observe(price, now);
            return Outcome.write(next, next.crossings() > a.crossings());
        }
    }

    /** Deletes the alert for its tenant: it watches nothing more. Answers it, or {@code null} if not the tenant's. */
    public record Delete(String tenant, long now) implements Command<PriceAlert, PriceAlert> {
        @Override
        public Outcome<PriceAlert, PriceAlert> apply(PriceAlert a) {
            if (a == null || !a.tenant().equals(tenant)) {
                return Outcome.keep(null);
            }
            if (a.state() == PriceAlert.State.DELETED) {
                return Outcome.keep(a);
            }
            PriceAlert next = a.deleted(now);
            return Outcome.write(next, next);
        }
    }

    /** Removes an alert deleted before {@code cutoff} once its events are in the log. */
    public record Purge(long cutoff) implements Command<PriceAlert, Boolean> {
        @Override
        public Outcome<PriceAlert, Boolean> apply(PriceAlert a) {
            if (a != null && a.state() == PriceAlert.State.DELETED && a.deletedAt() < cutoff
                    && !a.outbox().hasPending()) {
                return Outcome.write(null, true);
            }
            return Outcome.keep(false);
        }
    }
}
