package io.ichiba.ledger.handler;

import io.ichiba.ledger.store.EndedBefore;
import io.ichiba.ledger.store.Table;
import io.ichiba.ledger.store.Table.Filter;
import io.ichiba.ledger.store.Table.Index;
import io.ichiba.ledger.store.Table.Indexed;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Filters and indexes over handler bindings, deliveries, dead letters and price alerts. Serialisable, evaluated where
 * the data lives; the engine keeps an index the first time a filter asks for it.
 */
public final class HandlerFilters {
    private HandlerFilters() {
    }

    /** Deleted price alerts, by the second they were deleted (in order). */
    public record AlertsByEnd() implements Table.OrderedIndex<PriceAlert> {
        @Override
        public void keys(PriceAlert a, Consumer<String> out) {
            if (a.state() == PriceAlert.State.DELETED) {
                out.accept(EndedBefore.second(a.deletedAt()));
            }
        }
    }

    /** Deliveries every handler settled, by the second they were made (in order). */
    public record DeliveriesByEnd() implements Table.OrderedIndex<Delivery> {
        @Override
        public void keys(Delivery d, Consumer<String> out) {
            if (d.done()) {
                out.accept(EndedBefore.second(d.createdAt()));
            }
        }
    }

    /** Price alerts by tenant. */
    public record AlertsByTenant() implements Index<PriceAlert> {
        @Override
        public void keys(PriceAlert a, Consumer<String> out) {
            out.accept(a.tenant());
        }
    }

    /** Bindings of {@code owner} ({@code null}: the cluster-wide ones). */
    public record BindingsOf(String owner) implements Filter<Binding> {
        @Override
        public boolean test(Binding b) {
            return java.util.Objects.equals(owner, b.owner());
        }
    }

    /** Dead letters of one binding. */
    public record DeadLettersOf(String binding) implements Filter<DeadLetter> {
        @Override
        public boolean test(DeadLetter d) {
            return binding.equals(d.binding());
        }
    }

    /** Deliveries with a handler still to settle. */
    public record Unsettled() implements Filter<Delivery> {
        @Override
        public boolean test(Delivery d) {
            return !d.done();
        }
    }

    /** Settled deliveries made before {@code cutoff}. */
    public record SettledBefore(long cutoff) implements EndedBefore<Delivery> {
        @Override
        public boolean test(Delivery d) {
            return d.done() && d.createdAt() < cutoff;
        }

        @Override
        public Index<Delivery> index() {
            return new DeliveriesByEnd();
        }
    }

    /** Price alerts of {@code tenant} (every tenant's if {@code null}); only live ones if {@code liveOnly}. */
    public record AlertsOf(String tenant, boolean liveOnly) implements Indexed<PriceAlert> {
        @Override
        public boolean test(PriceAlert a) {
            return (tenant == null || tenant.equals(a.tenant())) && (!liveOnly || a.state() == PriceAlert.State.ACTIVE);
        }

        @Override
        public Index<PriceAlert> index() {
            return tenant == null ? null : new AlertsByTenant();
        }

        @Override
        public Collection<String> indexKeys() {
            return tenant == null ? List.of() : List.of(tenant);
        }
    }

    /** Live price alerts on one of {@code kinds} (a serialisable set: the filter travels to the data). */
    public record AlertsOn(Set<String> kinds) implements Filter<PriceAlert> {
        @Override
        public boolean test(PriceAlert a) {
            return a.state() == PriceAlert.State.ACTIVE && kinds.contains(a.kind());
        }
    }

    /** Price alerts deleted before {@code cutoff}. */
    public record PurgeableAlerts(long cutoff) implements EndedBefore<PriceAlert> {
        @Override
        public boolean test(PriceAlert a) {
            return a.state() == PriceAlert.State.DELETED && a.deletedAt() < cutoff;
        }

        @Override
        public Index<PriceAlert> index() {
            return new AlertsByEnd();
        }
    }
}
