package io.ichiba.broker.http;

import io.ichiba.api.Model;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.Accounts;
import io.ichiba.ledger.credit.JournalEntry;
import io.ichiba.ledger.job.Job;
import io.ichiba.ledger.market.Book;
import io.ichiba.ledger.market.Loan;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.PoolView;
import io.ichiba.ledger.pool.Timeline;
import io.ichiba.ledger.reservation.Reservation;
import io.ichiba.ledger.tenant.TenantState;
import io.ichiba.pricing.PriceHistory;
import io.ichiba.pricing.PriceLevel;
import io.ichiba.pricing.Side;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Maps ledger records to wire records. */
final class Views {
    private Views() {
    }

    static Model.Claim claim(Claim c) {
        ClaimState state = c.state();
        boolean noticed = state == ClaimState.GRANTED && c.preemptAt() != 0;
        String reason = state == ClaimState.GRANTED && !noticed ? null : c.reason();
        Funding f = c.funding();
        return new Model.Claim(c.id(), c.tenant(), Model.ClaimState.valueOf(state.name()), reason,
                state == ClaimState.QUEUED ? null : c.node(),
                Model.Bundle.of(c.bundle().amounts(), c.bundle().locks()), c.priority(), c.leaseSeconds(),
                time(c.createdAt()), state == ClaimState.QUEUED ? null : time(c.grantedAt()),
                state == ClaimState.QUEUED ? null : time(c.leaseExpiresAt()), time(c.endedAt()),
                time(c.preemptAt()), funding(f), c.reservation());
    }

    static Model.Funding funding(Funding f) {
        return new Model.Funding(f.mode().name(), f.maxPrice() == 0 ? null : f.maxPrice(), f.urgent());
    }

    static Model.Reservation reservation(Reservation r) {
        List<Model.ReservationCopy> copies = r.copies().entrySet().stream()
                .map(e -> new Model.ReservationCopy(e.getKey(), e.getValue().isEmpty() ? null : e.getValue())).toList();
        boolean opened = r.state() == Reservation.State.ACTIVE || (r.state().isFinal() && r.updatedAt() >= r.start()
                && !"WINDOW_MISSED".equals(r.reason()));
        return new Model.Reservation(r.id(), r.tenant(), r.state().name(), r.reason(),
                Model.Bundle.of(r.bundle().amounts(), r.bundle().locks()), r.count(), time(r.start()), time(r.end()),
                r.requestedNode(), copies, opened ? r.claims() : List.of(), funding(r.funding()), r.leaseSeconds(),
                r.priority(), r.price(), r.refunded(), r.recalled().isEmpty() ? null : r.recalled(),
                time(r.createdAt()), time(r.updatedAt()));
    }

    static Model.TimelineStep step(Timeline.Step s) {
        return new Model.TimelineStep(time(s.at()), s.capacity(), s.granted(), s.reserved(), s.used(), s.free());
    }

    static Model.Job job(Job j) {
        return new Model.Job(j.id(), j.tenant(), j.state().name(), j.reason(), j.node(), j.command(), j.env(),
                Model.Bundle.of(j.bundle().amounts(), j.bundle().locks()), j.priority(), j.leaseSeconds(),
                j.cancelRequested(), j.exitCode(), time(j.createdAt()), time(j.startedAt()), time(j.endedAt()),
                j.limits());
    }

    static Model.Pool pool(PoolView p) {
        return new Model.Pool(p.id(), p.kind(), p.node(), p.name(), p.capacity(), p.granted(), p.free(),
                p.overcommitted(), p.measuredFree(), p.withheld(), p.holders());
    }

    static Model.Node node(NodeState n) {
        return new Model.Node(n.node(), n.lost() ? "LOST" : "READY", time(n.lastReportAt()), time(n.lostAt()),
                n.capacity(), n.measuredFree(), n.holdings().totals(), n.withheld(), n.holdings().holders().size());
    }

    /** A tenant with its limits ({@code defaults}: the broker's) and, if given, what each counts now. */
    static Model.Tenant tenant(TenantState t, io.ichiba.ledger.tenant.TenantLimits defaults, Map<String, Long> usage) {
        Map<String, Long> limits = new java.util.TreeMap<>(t.limits(defaults).byName());
        limits.values().removeIf(java.util.Objects::isNull); // unlimited: absent
        return new Model.Tenant(t.id(), t.quota(), t.holdings().totals(), time(t.createdAt()), limits,
                t.limits().isEmpty() ? null : t.limits(), usage);
    }

    /** The tenant's account view; a tenant without an account yet (none was opened) shows an empty one. */
    static Model.TenantAccount tenantAccount(TenantState t, Account a, List<MarketOrder> open) {
        Account acc = a != null ? a : Account.open(Account.ofTenant(t.id()), Account.Type.TENANT, 0);
        return new Model.TenantAccount(t.id(), acc.balance(), acc.balance(), acc.creditLimit(), t.quota(),
                t.borrowed(), t.lent(), t.offered(), t.lendingLimit(),
                open.stream().filter(o -> o.side() == Side.OFFER).map(Views::summary).toList(),
                open.stream().filter(o -> o.side() == Side.BID).map(Views::summary).toList());
    }

    static Model.OrderSummary summary(MarketOrder o) {
        return new Model.OrderSummary(o.id(), o.side().name(), o.kind(), o.amount(), o.filled(), o.limitPrice(),
                o.state().name());
    }

    static Model.Order order(MarketOrder o, List<Loan> fills) {
        boolean bid = o.side() == Side.BID;
        return new Model.Order(o.id(), o.side().name(), o.owner(), o.kind(), o.amount(), o.filled(),
                o.durationSeconds(), o.limitPrice(), o.goodUntil() == Long.MAX_VALUE ? null : time(o.goodUntil()),
                o.state().name(), bid ? o.hold() : null,
                bid ? o.spent() : null, o.forClaim(), time(o.createdAt()), time(o.endedAt()),
                fills.stream().map(l -> new Model.Fill(l.id(), l.amount(), l.price(), l.cost(), time(l.startedAt())))
                        .toList());
    }

    static Model.Loan loan(Loan l) {
        return new Model.Loan(l.id(), l.kind(), l.lender(), l.borrower(), l.amount(), l.price(), l.cost(),
                l.state().name(), time(l.startedAt()), time(l.endsAt()), time(l.recallDeadline()), time(l.endedAt()),
                l.endReason(), List.copyOf(l.preempted()));
    }

    static Model.Market market(Book.View v, long urgentPrice, long spot) {
        return new Model.Market(v.kind(), spot, urgentPrice, v.lastTradeAt() == 0 ? null : v.lastTradePrice(),
                time(v.lastTradeAt()), levels(v.depth().bids()), levels(v.depth().offers()), v.resting());
    }

    private static List<Model.PriceLevel> levels(List<PriceLevel> levels) {
        return levels.stream().map(l -> new Model.PriceLevel(l.price(), l.amount(), l.orders())).toList();
    }

    static Model.HistoryBucket bucket(PriceHistory.Bucket b) {
        boolean spot = b.spotSamples() > 0;
        return new Model.HistoryBucket(time(b.start()), time(b.end()), b.spotSamples(), spot ? b.open() : null,
                spot ? b.high() : null, spot ? b.low() : null, spot ? b.close() : null, b.trades(), b.tradeVolume(),
                b.trades() > 0 ? b.lastTradePrice() : null);
    }

    static Model.Account account(Account a) {
        String tenant = a.type() == Account.Type.TENANT ? a.id().substring(a.id().indexOf(':') + 1) : null;
        return new Model.Account(a.id(), a.type().name(), tenant, a.balance(), a.balance(), a.creditLimit());
    }

    /** An entry as {@code account} sees it: its leg there is the amount. */
    static Model.Entry entry(JournalEntry e, String account) {
        return new Model.Entry(e.id(), time(e.time()), e.reason().name(), e.memo(), e.ref(), e.amountFor(account));
    }

    static Model.StatementLine line(Accounts.Line l) {
        return new Model.StatementLine(l.entryId(), time(l.time()), l.reason().name(), l.memo(), l.ref(), l.amount(),
                l.balance());
    }

    static Instant time(long epochMillis) {
        return epochMillis == 0 ? null : Instant.ofEpochMilli(epochMillis);
    }
}
