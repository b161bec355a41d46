package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimCommands;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.JournalEntry;
import io.ichiba.ledger.market.Loan;
import io.ichiba.ledger.market.MarketCommands;
import io.ichiba.ledger.market.MarketCommands.AddShare;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.market.MarketSettings;
import io.ichiba.ledger.market.OrderRequest;
import io.ichiba.ledger.pool.Holdings;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.PlaceCommands;
import io.ichiba.ledger.pool.PlaceCommands.CreateIfAbsent;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.tenant.TenantState;
import io.ichiba.pricing.Side;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a claim that does not live on its quota alone is funded: at submission a claim that buys must be able to pay,
 * and one that borrows puts up its bids; when its turn comes, a claim that buys buys from the house what its quota
 * lacks (a loan from the house for its lease), and an urgent one may have grants of other tenants preempted on the
 * node where the fewest must go, compensating them. Orders, the book and loans are the {@link Exchange}'s.
 */
final class ClaimFunding {
    private static final Logger LOG = LoggerFactory.getLogger(ClaimFunding.class);

    private final Ledger ledger;
    private final Store store;
    private final Clock clock;
    private final Exchange exchange;
    private final MarketSettings settings;

    ClaimFunding(Ledger ledger, Exchange exchange, MarketSettings settings) {
        this.ledger = ledger;
        this.store = ledger.store();
        this.clock = ledger.clock();
        this.exchange = exchange;
        this.settings = settings;
    }

    /**
     * What a claim would buy from the house: for an urgent claim its whole node-local bundle, else what its
     * tenant's quota lacks for it (nothing for a claim that does not buy).
     */
    java.util.SortedMap<String, Long> toBuy(Claim c, TenantState t) {
        return toBuy(c.id(), c.bundle(), c.funding(), t);
    }

    private java.util.SortedMap<String, Long> toBuy(String claimId, Bundle bundle, Funding f, TenantState t) {
        java.util.TreeMap<String, Long> out = new java.util.TreeMap<>();
        if (f.urgent()) {
            out.putAll(bundle.amounts());
        } else if (f.mode() != Funding.Mode.QUOTA && t != null) {
            Holdings others = t.holdings().without(claimId);
            bundle.amounts().forEach((kind, amount) -> {
                long missing = others.granted(kind) + amount - t.entitlement(kind, false);
                if (missing > 0) {
                    out.put(kind, missing);
                }
            });
        }
        return out;
    }

    /** What buying {@code amounts} for {@code seconds} costs now; a unit price above {@code cap} is a rejection. */
    private long purchaseCost(java.util.SortedMap<String, Long> amounts, long seconds, boolean urgent, long cap,
                              Rejection[] why) {
        long total = 0;
        for (var e : amounts.entrySet()) {
            long unit = exchange.unitPrice(e.getKey(), urgent);
            if (cap > 0 && unit > cap) {
                why[0] = Rejection.of(Rejection.Code.PRICE, "the " + (urgent ? "urgent " : "") + "price of "
                        + e.getKey() + " is " + unit + " per unit-hour, above funding.maxPrice " + cap);
                return -1;
            }
            total = Math.addExact(total, MarketOrder.cost(unit, e.getValue(), seconds));
        }
        return total;
    }

    /**
     * Funds a claim as it is submitted: a claim that buys must be able to pay for what it would buy now (else
     * {@code INSUFFICIENT_CREDIT}; an urgent one above its price cap, {@code PRICE}); a claim that borrows bids for
     * what its quota lacks, one bid per kind (refused as a whole if a bid cannot be put up). Answers null if the
     * claim may be queued.
     */
    Rejection fund(String claimId, String tenant, Bundle bundle, long leaseSeconds, Funding f) {
        if (f.mode() == Funding.Mode.QUOTA) {
            return null;
        }
        TenantState t = store.tenants().get(tenant);
        java.util.SortedMap<String, Long> missing = toBuy(claimId, bundle, f, t);
        if (f.buys()) {
            Rejection[] why = new Rejection[1];
            long cost;
            try {
                cost = purchaseCost(missing, leaseSeconds, f.urgent(), f.maxPrice(), why);
            } catch (ArithmeticException e) {
                return Rejection.of(Rejection.Code.INVALID, "the purchase would cost more than any balance holds");
            }
            if (cost < 0) {
                return f.urgent() ? why[0] : null;
            }
            Rejection poor = exchange.canPay(tenant, cost);
            return poor == null ? null : Rejection.of(Rejection.Code.INSUFFICIENT_CREDIT, "buying " + missing
                    + " for " + leaseSeconds + " s costs " + cost + " now: " + poor.detail());
        }
        if (f.maxPrice() > settings.maxPrice()) {
            return Rejection.of(Rejection.Code.INVALID, "funding.maxPrice must be between 1 and " + settings.maxPrice()
                    + ", was " + f.maxPrice());
        }
        long holds = 0;
        for (var e : missing.entrySet()) {
            try {
                holds = Math.addExact(holds, MarketOrder.cost(f.maxPrice(), e.getValue(), leaseSeconds));
            } catch (ArithmeticException x) {
                return Rejection.of(Rejection.Code.INVALID, "the bids would hold more than any balance holds");
            }
        }
        Rejection poor = exchange.canPay(tenant, holds); // all the bids, or none
        if (poor != null) {
            return Rejection.of(Rejection.Code.INSUFFICIENT_CREDIT, "bidding for " + missing + " at up to "
                    + f.maxPrice() + " for " + leaseSeconds + " s puts up " + holds + ": " + poor.detail());
        }
        List<String> placed = new ArrayList<>();
        for (var e : missing.entrySet()) {
            String bidId = borrowBidId(claimId, e.getKey());
            Result<MarketOrder> r = exchange.placeNow(OrderRequest.of(bidId, tenant, e.getKey(), Side.BID,
                    e.getValue(), leaseSeconds, f.maxPrice()).forClaim(claimId));
            if (!r.ok()) {
                placed.forEach(id -> exchange.cancelNow(id, tenant));
                return r.rejection();
            }
            placed.add(bidId);
        }
        return null;
    }

    /** The id of the bid a {@code BORROW} claim places for a kind: a name-based UUID, like other order ids. */
    public static String borrowBidId(String claimId, String kind) {
        return java.util.UUID.nameUUIDFromBytes(("borrow\n" + claimId + "\n" + kind)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString();
    }

    /**
     * Buys from the house, when a buying claim's turn comes, what it lacks (an urgent claim: its whole bundle, once):
     * posts the purchase and gives the tenant a loan from the house for the lease. Answers null when the claim
     * has (or needs) nothing more to buy, else why it waits ({@code PRICE}, {@code INSUFFICIENT_CREDIT}).
     */
    Rejection buyFor(Claim c, TenantState t) {
        if (!c.funding().buys()) {
            return null;
        }
        String entryId = c.id() + ":buy";
        if (store.journal().get(entryId) != null) {
            return null;
        }
        java.util.SortedMap<String, Long> amounts = toBuy(c, t);
        if (amounts.isEmpty()) {
            return null;
        }
        Rejection[] why = new Rejection[1];
        long cost = purchaseCost(amounts, c.leaseSeconds(), c.urgent(), c.funding().maxPrice(), why);
        if (cost < 0) {
            return why[0];
        }
        long now = clock.millis();
        Result<JournalEntry> paid = ledger.accounts().post(JournalEntry.transfer(entryId, now,
                JournalEntry.Reason.PURCHASE, (c.urgent() ? "urgent purchase" : "purchase") + " of " + amounts
                        + " for " + c.leaseSeconds() + " s for claim " + c.id(), null, c.id(),
                Account.ofTenant(c.tenant()), Account.HOUSE, cost));
        if (!paid.ok()) {
            return paid.rejection();
        }
        for (var e : amounts.entrySet()) {
            String loanId = entryId + ":" + e.getKey();
            long unit = exchange.unitPrice(e.getKey(), c.urgent());
            Loan l = store.loans().execute(loanId, new CreateIfAbsent<>(Loan.start(loanId, e.getKey(), Loan.HOUSE,
                    c.tenant(), e.getValue(), unit, MarketOrder.cost(unit, e.getValue(), c.leaseSeconds()), null, null,
                    now, c.leaseSeconds())));
            store.tenants().execute(c.tenant(), new AddShare(l.id(), null, e.getKey(), e.getValue(), false));
        }
        LOG.debug("purchase claim={} tenant={} amounts={} cost={} urgent={}", c.id(), c.tenant(), amounts, cost,
                c.urgent());
        return null;
    }

    /**
     * Makes room for an urgent claim: on the node where the fewest non-urgent grants of other tenants must go for
     * its bundle to fit (lowest priority first, youngest first among equals), preempts them (reason
     * {@code URGENT}), refunds the unused part of what they bought, and
     * has the urgent tenant compensate each. Answers the node, or {@code null} if no node can make room, or the
     * urgent tenant could not pay for both its purchase and the compensation, or the claim would still not be granted
     * once they are gone, for want of a lock or of its tenant's quota ({@code bought}: the quota it would have after
     * its purchase): then nothing is preempted and nobody paid (issue 13, defect 10).
     */
    String preemptFor(Claim c, Map<String, NodeState> nodes, TenantState bought, Map<String, LockState> locks,
                             long at) {
        Map<String, List<Claim>> byNode = new java.util.HashMap<>();
        for (Claim g : store.claims().values(new ClaimFilters.ClaimIn(Set.of(ClaimState.GRANTED)))) {
            if (g.node() != null && !g.urgent() && !g.tenant().equals(c.tenant())) {
                byNode.computeIfAbsent(g.node(), k -> new ArrayList<>()).add(g);
            }
        }
        String best = null;
        List<Claim> bestVictims = null;
        for (NodeState n : new java.util.TreeMap<>(nodes).values()) {
            if (n.lost() || (c.requestedNode() != null && !c.requestedNode().equals(n.node()))) {
                continue;
            }
            List<Claim> candidates = new ArrayList<>(byNode.getOrDefault(n.node(), List.of()));
            candidates.sort(Comparator.comparingInt(Claim::priority)
                    .thenComparing(Comparator.comparingLong(Claim::grantedAt).reversed()).thenComparing(Claim::id));
            List<Claim> victims = new ArrayList<>();
            Map<String, Long> freed = new java.util.HashMap<>();
            for (Claim g : candidates) {
                if (fits(c.bundle(), n, freed)) {
                    break;
                }
                victims.add(g);
                g.bundle().amounts().forEach((k, v) -> freed.merge(k, v, Long::sum));
            }
            if (fits(c.bundle(), n, freed) && (bestVictims == null || victims.size() < bestVictims.size())) {
                best = n.node();
                bestVictims = victims;
            }
        }
        if (best == null || !fitsWithout(c, bought, nodes, locks, best, bestVictims, at)) {
            return null;
        }
        // preempt only if the urgent claim can then pay for its purchase and every compensation
        long owed = Math.multiplyExact(settings.compensation(), (long) bestVictims.size());
        if (store.journal().get(c.id() + ":buy") == null) {
            Rejection[] why = new Rejection[1];
            long cost = purchaseCost(toBuy(c, store.tenants().get(c.tenant())), c.leaseSeconds(), true,
                    c.funding().maxPrice(), why);
            if (cost < 0) {
                return null;
            }
            owed = Math.addExact(owed, cost);
        }
        if (owed > 0 && exchange.canPay(c.tenant(), owed) != null) {
            return null;
        }
        long now = clock.millis();
        for (Claim v : bestVictims) {
            ClaimCommands.Transition t = store.claims().execute(v.id(), new ClaimCommands.Preempt("URGENT", now));
            if (!t.ok()) {
                continue;
            }
            ledger.returnTokens(t.claim());
            LOG.info("claim preempted claim={} tenant={} node={} reason=URGENT by={}", v.id(), v.tenant(), best, c.id());
            for (String kind : v.bundle().amounts().keySet()) {
                refundPurchase(v.id() + ":buy:" + kind, now);
            }
            if (settings.compensation() > 0) {
                exchange.post(JournalEntry.transfer(v.id() + ":compensation", now, JournalEntry.Reason.COMPENSATION,
                        "claim " + v.id() + " preempted by " + c.tenant() + "'s urgent claim " + c.id(), null, v.id(),
                        Account.ofTenant(c.tenant()), Account.ofTenant(v.tenant()), settings.compensation()));
            }
        }
        return best;
    }

    /** Whether {@code c} would be granted with {@code victims}' holds on {@code node} and their locks returned. */
    private static boolean fitsWithout(Claim c, TenantState bought, Map<String, NodeState> nodes,
                                       Map<String, LockState> locks, String node, List<Claim> victims, long at) {
        Map<String, NodeState> after = new java.util.HashMap<>(nodes);
        Map<String, LockState> locksAfter = new java.util.HashMap<>(locks);
        NodeState n = nodes.get(node);
        for (Claim v : victims) {
            NodeState returned = new PlaceCommands.ReturnFor<NodeState>(v.id()).apply(n).next();
            n = returned == null ? n : returned;
            for (String lock : v.bundle().locks()) {
                LockState l = locksAfter.get(lock);
                LockState freed = l == null ? null
                        : new PlaceCommands.ReturnFor<LockState>(v.id()).apply(l).next();
                if (freed != null) {
                    locksAfter.put(lock, freed);
                }
            }
        }
        after.put(node, n);
        return Placement.choose(c, bought, after, locksAfter, at).fits();
    }

    private static boolean fits(Bundle b, NodeState n, Map<String, Long> freed) {
        for (var e : b.amounts().entrySet()) {
            long capacity = n.capacity(e.getKey());
            long granted = n.holdings().granted(e.getKey()) - freed.getOrDefault(e.getKey(), 0L);
            if (granted + e.getValue() > capacity) {
                return false;
            }
        }
        return true;
    }

    /** Ends a live purchase from the house early: the buyer is refunded the unused part. */
    private void refundPurchase(String loanId, long now) {
        Loan l = store.loans().get(loanId);
        if (l == null || (l.state() != Loan.State.ACTIVE && l.state() != Loan.State.RECALLING)) {
            return;
        }
        store.loans().execute(loanId, new MarketCommands.Recall(Loan.HOUSE, now));
        exchange.endLoanNow(loanId);
    }
}
