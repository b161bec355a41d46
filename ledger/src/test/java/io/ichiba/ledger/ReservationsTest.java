package io.ichiba.ledger;

import io.ichiba.ledger.Rejection.Code;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.market.Loan;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.market.MarketSettings;
import io.ichiba.ledger.market.OrderRequest;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.PoolView;
import io.ichiba.ledger.reservation.Reservation;
import io.ichiba.ledger.reservation.ReservationSettings;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.tenant.TenantState;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Advance reservations on a controllable clock: booking, the earliest window, the start, the end, refunds. */
@org.junit.jupiter.api.extension.ExtendWith(io.ichiba.ledger.engine.Engines.ClosedAfterEach.class)
class ReservationsTest {
    /** An empty store: the engine's, over a journal in memory; each test's engine is closed after it. */
    Store createStore() {
        return io.ichiba.ledger.engine.Engines.started(new io.ichiba.ledger.journal.InMemoryJournal());
    }

    private static final long MINUTE = 60_000;
    private MutableClock clock;
    private Store store;
    private Ledger ledger;
    private Admission admission;
    private LeaseReaper reaper;
    private Reservations reservations;

    @BeforeEach
    void setUp() {
        clock = new MutableClock();
        store = createStore();
        ledger = new Ledger(store, clock, LedgerSettings.defaults(), MarketSettings.defaults(),
                ReservationSettings.defaults().withLeadSeconds(600));
        ledger.accounts().openSystemAccounts();
        admission = new Admission(ledger);
        reaper = new LeaseReaper(ledger);
        reservations = ledger.reservations();
        ledger.createTenant("team-a", Map.of("memory", 16_384L));
        ledger.createTenant("team-b", Map.of("memory", 16_384L));
        ledger.createLock("db", 2);
        ledger.report("n1", Map.of("memory", 10_000L), Map.of());
        ledger.accounts().mint("m-a", "team-a", 10_000_000, null, null);
    }

    private static Bundle mem(long mib) {
        return Bundle.of(Map.of("memory", mib), List.of());
    }

    private Reservations.Request request(Bundle b, int count, long startIn, long endIn, Funding f) {
        long now = clock.millis();
        return new Reservations.Request(b, count, now + startIn, now + endIn, null, f, 0, 5);
    }

    private Claim grant(String id, String tenant, long mib, long leaseSeconds) {
        assertThat(ledger.submit(ClaimRequest.of(id, tenant, mem(mib), 1, leaseSeconds, null)).ok()).isTrue();
        admission.pass();
        Claim c = ledger.claim(id);
        assertThat(c.state()).as(id).isEqualTo(ClaimState.GRANTED);
        return c;
    }

    private void tick(long millis) {
        clock.advanceMillis(millis);
        reaper.sweepLeases();
        admission.pass();
    }

    @Test
    void aWindowThatGrantsStillHoldIsRefusedWithTheEarliestThatFits() {
        grant("c1", "team-b", 4000, 3600); // holds until +60 min
        long now = clock.millis();
        Reservations.Booked refused = reservations.book("r1", "team-a",
                request(mem(8000), 1, 30 * MINUTE, 90 * MINUTE, Funding.QUOTA_ONLY));
        assertThat(refused.rejection().code()).isEqualTo(Code.WINDOW_FULL);
        assertThat(refused.earliest()).as("when c1's lease ends").isEqualTo(now + 60 * MINUTE);
        assertThat(store.reservations().get("r1")).as("nothing is kept of a refused booking").isNull();
        assertThat(store.nodes().get("n1").holdings().bookings()).isEmpty();

        Reservations.Booked booked = reservations.book("r1", "team-a",
                request(mem(8000), 1, 60 * MINUTE, 120 * MINUTE, Funding.QUOTA_ONLY));
        assertThat(booked.ok()).isTrue();
        assertThat(booked.reservation().state()).isEqualTo(Reservation.State.BOOKED);
        assertThat(booked.reservation().copies()).containsExactly(Map.entry("r1-1", "n1"));
        assertThat(reservations.book("r1", "team-a", request(mem(1), 1, 0, MINUTE, Funding.QUOTA_ONLY)).reservation())
                .as("the same id again answers the reservation as stored").isEqualTo(booked.reservation());
    }

    @Test
    void idleReservedCapacityServesClaimsWhoseLeasesEndBeforeTheStart() {
        assertThat(reservations.book("r1", "team-a", request(mem(8000), 1, 60 * MINUTE, 120 * MINUTE,
                Funding.QUOTA_ONLY)).ok()).isTrue();
        Claim shortLease = grant("short", "team-b", 9000, 1800); // ends at +30 min: may use the idle capacity
        assertThat(shortLease.node()).isEqualTo("n1");
        ledger.release("short");

        assertThat(ledger.submit(ClaimRequest.of("long", "team-b", mem(9000), 1, 7200, null)).ok()).isTrue();
        admission.pass();
        Claim waiting = ledger.claim("long");
        assertThat(waiting.state()).isEqualTo(ClaimState.QUEUED);
        assertThat(waiting.reason()).isEqualTo(Code.RESERVED.name());
        ledger.cancel("long");
        Claim small = grant("small", "team-b", 2000, 7200); // 2000 + 8000 booked fits the 10 000
        assertThat(small.node()).isEqualTo("n1");
    }

    @Test
    void aReservationIsGrantedExactlyAtItsStartOnABusyClusterAndEndsAtItsEnd() {
        long start = clock.millis() + 60 * MINUTE;
        long end = start + 30 * MINUTE;
        assertThat(reservations.book("r1", "team-a", new Reservations.Request(mem(3000), 2, start, end, null,
                Funding.QUOTA_ONLY, 600, 5)).ok()).isTrue();
        // the cluster stays busy: a grant renewed past the start holds the capacity the reservation needs
        grant("busy", "team-b", 5000, 1800);
        tick(20 * MINUTE);
        assertThat(ledger.renew("busy", 3600).ok()).isTrue(); // now runs to +80 min, into the window
        tick(29 * MINUTE); // +49 min: 11 minutes before the start, outside the lead time
        assertThat(ledger.claim("busy").preemptAt()).isZero();
        tick(2 * MINUTE); // +51 min: within the 10-minute lead
        Claim noticed = ledger.claim("busy");
        assertThat(noticed.state()).isEqualTo(ClaimState.GRANTED);
        assertThat(noticed.reason()).isEqualTo("PREEMPT_NOTICE");
        assertThat(noticed.preemptAt()).isEqualTo(start);

        tick(start - 1 - clock.millis());
        assertThat(ledger.claim("r1-1")).as("not a moment early").isNull();
        assertThat(ledger.claim("busy").state()).isEqualTo(ClaimState.GRANTED);

        tick(1);
        assertThat(clock.millis()).isEqualTo(start);
        assertThat(ledger.claim("busy").state()).isEqualTo(ClaimState.PREEMPTED);
        assertThat(ledger.claim("busy").reason()).isEqualTo(Reservations.PREEMPT_REASON);
        for (String copy : List.of("r1-1", "r1-2")) {
            Claim c = ledger.claim(copy);
            assertThat(c.state()).as(copy).isEqualTo(ClaimState.GRANTED);
            assertThat(c.grantedAt()).isEqualTo(start);
            assertThat(c.reservation()).isEqualTo("r1");
            assertThat(c.leaseExpiresAt()).isEqualTo(start + 600_000);
        }
        assertThat(reservations.get("r1").state()).isEqualTo(Reservation.State.ACTIVE);
        assertThat(ledger.claims("team-a", null)).extracting(Claim::id).contains("r1-1", "r1-2");
        NodeState n1 = store.nodes().get("n1");
        assertThat(n1.holdings().bookings()).isEmpty();
        assertThat(n1.granted("memory")).isEqualTo(6000);
        assertThat(store.tenants().get("team-a").used("memory")).isEqualTo(6000);

        // renewable up to the end and no further
        tick(5 * MINUTE);
        assertThat(ledger.renew("r1-1", 3600).value().leaseExpiresAt()).isEqualTo(end);
        assertThat(ledger.renew("r1-2", 3600).value().leaseExpiresAt()).isEqualTo(end);
        tick(end - 1 - clock.millis());
        assertThat(ledger.claim("r1-1").state()).isEqualTo(ClaimState.GRANTED);
        tick(1);
        assertThat(ledger.claim("r1-1").state()).isEqualTo(ClaimState.EXPIRED);
        assertThat(ledger.claim("r1-2").state()).isEqualTo(ClaimState.EXPIRED);
        assertThat(reservations.get("r1").state()).isEqualTo(Reservation.State.ENDED);
        assertThat(store.nodes().get("n1").granted("memory")).isZero();
        assertThat(store.tenants().get("team-a").used("memory")).isZero();
    }

    @Test
    void quotaLentBeforeTheStartIsRecalledSoTheReservationIsWholeAtItsStart() {
        long start = clock.millis() + 60 * MINUTE;
        assertThat(reservations.book("r1", "team-a", new Reservations.Request(mem(8000), 1, start, start + 60 * MINUTE,
                null, Funding.QUOTA_ONLY, 0, 5)).ok()).isTrue();
        ledger.accounts().mint("m-b", "team-b", 10_000_000, null, null);
        Exchange exchange = ledger.exchange();
        // booked quota may still be lent before the window: team-a lends 12 000 of its 16 384 for two hours
        assertThat(exchange.place(OrderRequest.of("o1", "team-a", "memory", io.ichiba.pricing.Side.OFFER, 12_000,
                7200, 1)).ok()).isTrue();
        assertThat(exchange.place(OrderRequest.of("b1", "team-b", "memory", io.ichiba.pricing.Side.BID, 12_000, 7200,
                2)).value().state()).isEqualTo(MarketOrder.State.FILLED);
        Loan loan = exchange.loans("team-a", true).get(0);
        assertThat(loan.endsAt()).isGreaterThan(start);

        tick(49 * MINUTE);
        assertThat(exchange.loan(loan.id()).state()).as("outside the lead time").isEqualTo(Loan.State.ACTIVE);
        tick(2 * MINUTE);
        Loan recalled = exchange.loan(loan.id());
        assertThat(recalled.state()).isEqualTo(Loan.State.RECALLING);
        assertThat(recalled.dueAt()).isEqualTo(start);

        clock.advanceMillis(start - clock.millis());
        exchange.sweepLoans();
        tick(0);
        assertThat(exchange.loan(loan.id()).state()).isEqualTo(Loan.State.ENDED);
        assertThat(ledger.claim("r1-1").state()).isEqualTo(ClaimState.GRANTED);
        TenantState a = store.tenants().get("team-a");
        assertThat(a.used("memory")).isLessThanOrEqualTo(a.entitlement("memory", false));
        assertThat(new Auditor(ledger).audit().drift()).isEmpty();
    }

    @Test
    void locksAreReservedToo() {
        assertThat(reservations.book("r1", "team-a", request(Bundle.of(Map.of(), List.of("db")), 2, 10 * MINUTE,
                20 * MINUTE, Funding.QUOTA_ONLY)).ok()).isTrue();
        Reservations.Booked third = reservations.book("r2", "team-b", request(Bundle.of(Map.of(), List.of("db")), 1,
                15 * MINUTE, 25 * MINUTE, Funding.QUOTA_ONLY));
        assertThat(third.rejection().code()).isEqualTo(Code.WINDOW_FULL);
        assertThat(third.earliest()).isEqualTo(clock.millis() + 20 * MINUTE);
        tick(10 * MINUTE);
        assertThat(ledger.claim("r1-1").state()).isEqualTo(ClaimState.GRANTED);
        assertThat(store.locks().get("db").granted()).isEqualTo(2);
    }

    @Test
    void aBoughtReservationPaysTheSpotPriceAndACancellationRefundsByTheRule() {
        long spot = ledger.exchange().spot("memory");
        Reservations.Booked b = reservations.book("r1", "team-a", request(mem(1000), 2, 60 * MINUTE, 120 * MINUTE,
                new Funding(Funding.Mode.BUY, 0, false)));
        assertThat(b.ok()).isTrue();
        long price = MarketOrder.cost(spot, 2000, 3600);
        assertThat(b.reservation().price()).isEqualTo(price);
        long balance = ledger.accounts().account(Account.ofTenant("team-a")).balance();
        assertThat(balance).isEqualTo(10_000_000 - price);
        assertThat(store.tenants().get("team-a").holdings().bookings()).as("a bought window takes no quota").isEmpty();

        Reservation cancelled = reservations.cancel("r1", "team-a").value();
        assertThat(cancelled.state()).isEqualTo(Reservation.State.CANCELLED);
        long refund = price - (price * 10 + 99) / 100;
        assertThat(cancelled.refunded()).isEqualTo(refund);
        assertThat(ledger.accounts().account(Account.ofTenant("team-a")).balance()).isEqualTo(balance + refund);
        assertThat(store.nodes().get("n1").holdings().bookings()).isEmpty();
        assertThat(reservations.cancel("r1", "team-a").value()).as("cancelling twice refunds once").isEqualTo(cancelled);
        assertThat(new Auditor(ledger).audit().drift()).isEmpty();
    }

    @Test
    void cancellingAnOpenReservationEndsItsClaimsAndRefundsTheRestOfTheWindow() {
        assertThat(reservations.book("r1", "team-a", request(mem(1000), 1, 10 * MINUTE, 70 * MINUTE,
                new Funding(Funding.Mode.BUY, 0, false))).ok()).isTrue();
        long price = reservations.get("r1").price();
        tick(40 * MINUTE); // half the window served
        assertThat(ledger.claim("r1-1").state()).isEqualTo(ClaimState.GRANTED);
        Reservation cancelled = reservations.cancel("r1", "team-a").value();
        assertThat(ledger.claim("r1-1").state()).isEqualTo(ClaimState.CANCELLED);
        assertThat(store.nodes().get("n1").granted("memory")).isZero();
        long half = price / 2;
        assertThat(cancelled.refunded()).isEqualTo(half - (half * 10 + 99) / 100);
    }

    @Test
    void badRequestsAreRefusedAndChangeNothing() {
        long now = clock.millis();
        record Case(Reservations.Request r, Code code) {
        }
        List<Case> cases = List.of(
                new Case(new Reservations.Request(mem(1), 1, now + 2 * MINUTE, now + MINUTE, null, Funding.QUOTA_ONLY, 0, 0), Code.INVALID),
                new Case(new Reservations.Request(mem(1), 1, now - 20 * MINUTE, now - 10 * MINUTE, null, Funding.QUOTA_ONLY, 0, 0), Code.INVALID),
                new Case(new Reservations.Request(mem(1), 1, now - 20 * MINUTE, now + 10 * MINUTE, null, Funding.QUOTA_ONLY, 0, 0), Code.INVALID),
                new Case(new Reservations.Request(mem(1), 0, now, now + MINUTE, null, Funding.QUOTA_ONLY, 0, 0), Code.INVALID),
                new Case(new Reservations.Request(mem(1), 1_000_000, now, now + MINUTE, null, Funding.QUOTA_ONLY, 0, 0), Code.INVALID),
                new Case(new Reservations.Request(mem(1), 1, now, now + MINUTE, "nowhere", Funding.QUOTA_ONLY, 0, 0), Code.NO_SUCH_NODE),
                new Case(new Reservations.Request(Bundle.of(Map.of("gpu", 1L), List.of()), 1, now, now + MINUTE, null, Funding.QUOTA_ONLY, 0, 0), Code.UNKNOWN_KIND),
                new Case(new Reservations.Request(mem(20_000), 1, now, now + MINUTE, null, new Funding(Funding.Mode.BUY, 0, false), 0, 0), Code.NEVER_FITS),
                new Case(new Reservations.Request(mem(9000), 2, now, now + MINUTE, null, Funding.QUOTA_ONLY, 0, 0), Code.NEVER_FITS),
                new Case(new Reservations.Request(mem(1), 1, now + 100L * 86_400_000, now + 101L * 86_400_000, null, Funding.QUOTA_ONLY, 0, 0), Code.INVALID),
                new Case(new Reservations.Request(mem(1), 1, now, now + MINUTE, null, new Funding(Funding.Mode.BORROW, 5, false), 0, 0), Code.INVALID));
        for (Case c : cases) {
            Reservations.Booked b = reservations.book("bad", "team-a", c.r());
            assertThat(b.rejection()).as(c.toString()).isNotNull();
            assertThat(b.rejection().code()).as(c.r().toString()).isEqualTo(c.code());
        }
        assertThat(store.reservations().entries()).isEmpty();
        assertThat(store.nodes().get("n1").holdings().bookings()).isEmpty();
        assertThat(ledger.accounts().account(Account.ofTenant("team-a")).balance()).isEqualTo(10_000_000);
    }

    /** Issue 13, defect 12: a price past any balance (here past a long) is refused as such, never a 500. */
    @Test
    void aWindowWhosePriceOverflowsIsRefusedAndChangesNothing() {
        Ledger dear = new Ledger(createStore(), clock, LedgerSettings.defaults(),
                new MarketSettings(30L * 86_400, 1_000_000_000_000_000L, 300, 100, 50, 60_000,
                        new io.ichiba.pricing.SpotPriceCurve(10_000_000_000_000L, 20_000_000_000_000L, 0.5, 3.0)),
                ReservationSettings.defaults());
        dear.createTenant("rich", Map.of("memory", 16_384L));
        dear.report("n1", Map.of("memory", 10_000L), Map.of());
        long now = clock.millis();
        for (long days : new long[]{1, 29}) {
            Reservations.Booked b = dear.reservations().book("r" + days, "rich", new Reservations.Request(mem(9_000), 1,
                    now, now + days * 86_400_000, null, new Funding(Funding.Mode.BUY, 0, false), 0, 0));
            assertThat(b.rejection()).as("%d days", days).isNotNull();
            assertThat(b.rejection().code()).isEqualTo(Code.INVALID);
            assertThat(b.rejection().detail()).contains("largest amount of credits");
        }
        assertThat(dear.store().reservations().entries()).isEmpty();
    }

    /**
     * Issue 13, defect 11: a copy activated after its node reported less capacity pushed the pool over capacity,
     * with no event. It is not granted past the capacity: that copy ends, the other is granted.
     */
    @Test
    void aCopyWhoseNodeShrankSinceTheBookingIsNotGrantedPastItsCapacity() {
        long start = clock.millis() + 30 * MINUTE;
        assertThat(reservations.book("r1", "team-a", new Reservations.Request(mem(3000), 2, start, start + 30 * MINUTE,
                "n1", Funding.QUOTA_ONLY, 600, 5)).ok()).isTrue();
        tick(10 * MINUTE);
        assertThat(ledger.report("n1", Map.of("memory", 4000L), Map.of()).ok()).isTrue(); // was 10 000
        tick(start - clock.millis());
        List<ClaimState> states = List.of(ledger.claim("r1-1").state(), ledger.claim("r1-2").state());
        assertThat(states).containsExactlyInAnyOrder(ClaimState.GRANTED, ClaimState.CANCELLED);
        PoolView pool = ledger.pool("memory@n1");
        assertThat(pool.granted()).isEqualTo(3000).isLessThanOrEqualTo(pool.capacity());
        assertThat(store.nodes().get("n1").holdings().bookings()).isEmpty();
        LedgerInvariants.check(store);
    }
}
