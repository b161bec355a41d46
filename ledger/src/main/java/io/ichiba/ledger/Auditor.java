package io.ichiba.ledger;

import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.credit.Accounts;
import io.ichiba.ledger.pool.Amounts;
import io.ichiba.ledger.pool.Hold;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.Place;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.tenant.TenantState;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Recomputes every pool's granted amount, and every tenant's usage, from the live grants and compares them
 * with what the pools and tenants record: leaked or missing holdings are drift. Also audits the credits
 * ({@link Accounts#audit}: law 4).
 *
 * <p>The live grants are the claims {@code GRANTED}. Claims that ended and are still returning their tokens are not
 * drift. A candidate drift is read again before it is reported, so that a grant or release racing the audit is not
 * mistaken for drift.
 */
public final class Auditor {
    private final Ledger ledger;
    private final Store store;

    /** Creates an auditor over the ledger's store. */
    public Auditor(Ledger ledger) {
        this.ledger = ledger;
        this.store = ledger.store();
    }

    /**
     * The audit's answer.
     *
     * @param ok        whether no drift was found
     * @param drift     every discrepancy
     * @param credits   the credit audit (law 4): minted, total of the balances, legs in flight
     * @param checkedAt epoch millis
     */
    public record Report(boolean ok, List<Drift> drift, Accounts.Audit credits, long checkedAt) {
    }

    /** Audits the whole store once. */
    public Report audit() {
        List<Drift> drift = new ArrayList<>();
        // read once: a claim granted since then has a hold that the per-holder check reads fresh
        Collection<Claim> granted = store.claims().values(
                new ClaimFilters.ClaimIn(java.util.Set.of(ClaimState.GRANTED)));
        for (String node : store.nodes().entries().keySet()) {
            auditPlace(drift, granted, () -> store.nodes().get(node), c -> node.equals(c.node()),
                    c -> c.bundle().amounts(), k -> NodeState.poolId(k, node));
        }
        for (String lock : store.locks().entries().keySet()) {
            auditPlace(drift, granted, () -> store.locks().get(lock), c -> c.bundle().locks().contains(lock),
                    c -> LockState.onePermit(), k -> LockState.poolId(lock));
        }
        for (String tenant : store.tenants().entries().keySet()) {
            auditPlace(drift, granted, () -> store.tenants().get(tenant),
                    c -> tenant.equals(c.tenant()) && c.bundle().nodeLocal(),
                    c -> c.bundle().amounts(), k -> "tenant:" + tenant);
            TenantState t = store.tenants().get(tenant);
            if (t != null) {
                t.holdings().totals().forEach((kind, used) -> {
                    if (used > t.entitlement(kind, true)) {
                        drift.add(new Drift("tenant:" + tenant, used, t.entitlement(kind, true),
                                kind + " usage exceeds quota (own + borrowed - lent - offered)"));
                    }
                });
            }
        }
        Accounts.Audit credits = ledger.accounts().audit();
        drift.addAll(credits.drift());
        return new Report(drift.isEmpty(), drift, credits, ledger.clock().millis());
    }

    private <S extends Place<S>> void auditPlace(List<Drift> drift, Collection<Claim> granted,
                                                 java.util.function.Supplier<S> read,
                                                 java.util.function.Predicate<Claim> onPlace,
                                                 java.util.function.Function<Claim, Map<String, Long>> amountsOf,
                                                 java.util.function.Function<String, String> subject) {
        List<Drift> found = compare(read.get(), granted, onPlace, amountsOf, subject);
        if (!found.isEmpty()) {
            // read again: a grant or release may have raced the first read
            found = compare(read.get(), granted, onPlace, amountsOf, subject);
        }
        drift.addAll(found);
    }

    private <S extends Place<S>> List<Drift> compare(S place, Collection<Claim> granted,
                                                     java.util.function.Predicate<Claim> onPlace,
                                                     java.util.function.Function<Claim, Map<String, Long>> amountsOf,
                                                     java.util.function.Function<String, String> subject) {
        List<Drift> out = new ArrayList<>();
        if (place == null) {
            return out;
        }
        Map<String, Long> live = new TreeMap<>();
        Map<String, String> problems = new HashMap<>();
        java.util.Set<String> involved = new java.util.TreeSet<>(); // the kinds the problems concern
        for (Map.Entry<String, Hold> e : place.holdings().holders().entrySet()) {
            Claim c = store.claims().get(e.getKey());
            boolean returning = c != null && c.state().isFinal() && !c.returned();
            if (c != null && (c.state().isLive() || returning)) {
                e.getValue().amounts().forEach((k, v) -> live.merge(k, v, Long::sum));
                if (c.state() == ClaimState.GRANTED && !Objects.equals(e.getValue().amounts(), amountsOf.apply(c))) {
                    problems.put(e.getKey(), "holds " + e.getValue().amounts() + " but claims " + amountsOf.apply(c));
                    involved.addAll(e.getValue().amounts().keySet());
                    involved.addAll(amountsOf.apply(c).keySet());
                }
            } else {
                problems.put(e.getKey(), "leaked hold of claim " + e.getKey() + " ("
                        + (c == null ? "gone" : c.state().toString()) + ")");
                involved.addAll(e.getValue().amounts().keySet());
            }
        }
        for (Claim c : granted) {
            if (onPlace.test(c) && !place.holdings().holds(c.id())) {
                Claim now = store.claims().get(c.id());
                if (now != null && now.state() == ClaimState.GRANTED) {
                    problems.put(c.id(), "granted claim " + c.id() + " holds nothing here");
                    amountsOf.apply(c).forEach((k, v) -> live.merge(k, v, Long::sum));
                    involved.addAll(amountsOf.apply(c).keySet());
                }
            }
        }
        if (!problems.isEmpty()) {
            Map<String, Long> recorded = place.holdings().totals();
            for (String k : involved) {
                out.add(new Drift(subject.apply(k), Amounts.get(recorded, k), Amounts.get(live, k),
                        String.join("; ", new TreeMap<>(problems).values())));
            }
        }
        return out;
    }
}
