package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.job.Job;
import io.ichiba.ledger.job.JobRequest;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.market.MarketSettings;
import io.ichiba.ledger.market.OrderRequest;
import io.ichiba.ledger.reservation.ReservationSettings;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.tenant.TenantLimits;
import io.ichiba.ledger.tenant.TenantState;
import io.ichiba.pricing.Side;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Limits per tenant (issue 13): a request that would take a tenant past one of its limits — claims not ended, queued
 * claims, jobs not ended, market orders not ended, reservations not ended — is refused with {@code TENANT_LIMIT},
 * names the limit, changes nothing, and leaves every other tenant alone; the request passes again once something
 * ended. The operator's own limits for one tenant replace the broker's for it. (Issue 13, defect 9: one tenant's
 * thousands of queued claims slowed every pass for everyone.)
 */
@org.junit.jupiter.api.extension.ExtendWith(io.ichiba.ledger.engine.Engines.ClosedAfterEach.class)
public class TenantLimitsTest {
    private static final long NEVER = Long.MAX_VALUE;
    private static final TenantLimits SMALL = new TenantLimits(3, 2, 1, 1, 1);

    private MutableClock clock;
    private Store store;
    private Ledger ledger;
    private Admission admission;

    /** The store under test: the engine's, over a journal in memory; each test's engine is closed after it. */
    protected Store createStore() {
        return io.ichiba.ledger.engine.Engines.started(new io.ichiba.ledger.journal.InMemoryJournal());
    }

    @BeforeEach
    void setUp() {
        clock = new MutableClock();
        store = createStore();
        ledger = new Ledger(store, clock, LedgerSettings.defaults().withLimits(SMALL), MarketSettings.defaults(),
                ReservationSettings.defaults());
        ledger.accounts().openSystemAccounts();
        admission = new Admission(ledger);
        ledger.createTenant("team-a", Map.of("memory", 16_384L));
        ledger.createTenant("team-b", Map.of("memory", 16_384L));
        ledger.createLock("db", 1);
        ledger.report("n1", Map.of("memory", 65_536L), Map.of());
        ledger.accounts().mint("m-a", "team-a", 1_000_000, null, null);
    }

    private static Bundle mem(long mib) {
        return Bundle.of(Map.of("memory", mib), List.of());
    }

    private static Bundle dbLock() {
        return Bundle.of(Map.of(), List.of("db"));
    }

    private Result<Claim> submit(String id, String tenant, Bundle b) {
        return ledger.submit(ClaimRequest.of(id, tenant, b, 1, 60, null));
    }

    private static void assertLimit(Rejection r, String limit, long max) {
        assertThat(r).as("refused").isNotNull();
        assertThat(r.code()).isEqualTo(Rejection.Code.TENANT_LIMIT);
        assertThat(r.limit()).isEqualTo(limit);
        assertThat(r.max()).isEqualTo(max);
        assertThat(r.detail()).contains(limit).contains(String.valueOf(max));
    }

    @Test
    void queuedClaimsPastTheLimitAreRefusedUntilOneLeavesTheQueue() {
        assertThat(submit("hold", "team-b", dbLock()).ok()).isTrue();
        admission.pass();
        assertThat(ledger.claim("hold").state()).isEqualTo(ClaimState.GRANTED);
        assertThat(submit("q1", "team-a", dbLock()).ok()).isTrue();
        assertThat(submit("q2", "team-a", dbLock()).ok()).isTrue();

        Result<Claim> third = submit("q3", "team-a", dbLock());
        assertLimit(third.rejection(), "queuedClaims", 2);
        assertThat(ledger.claim("q3")).as("a refused claim leaves nothing").isNull();
        assertThat(submit("q1", "team-a", dbLock()).value().id()).as("the same id again answers the claim")
                .isEqualTo("q1");
        assertThat(submit("b1", "team-b", dbLock()).ok()).as("another tenant is not limited by team-a's").isTrue();

        assertThat(ledger.cancel("q1").ok()).isTrue();
        assertThat(submit("q3", "team-a", dbLock()).ok()).as("below the limit again").isTrue();
        assertThat(ledger.limitUsage("team-a")).containsEntry("queuedClaims", 2L).containsEntry("liveClaims", 2L);
    }

    @Test
    void claimsNotEndedPastTheLimitAreRefusedUntilOneEnds() {
        for (int i = 1; i <= 3; i++) {
            assertThat(submit("g" + i, "team-a", mem(10)).ok()).isTrue();
            admission.pass();
        }
        assertLimit(submit("g4", "team-a", mem(10)).rejection(), "liveClaims", 3);
        assertThat(ledger.release("g1").ok()).isTrue();
        assertThat(submit("g4", "team-a", mem(10)).ok()).isTrue();
        assertThat(ledger.limitUsage("team-a")).containsEntry("liveClaims", 3L);
    }

    @Test
    void jobsNotEndedPastTheLimitAreRefusedAndLeaveNoJob() {
        Jobs jobs = new Jobs(ledger);
        assertThat(jobs.submit(new JobRequest("j1", "team-a", List.of("true"), Map.of(), mem(10), 1, 60,
                null)).ok()).isTrue();
        Result<Job> second = jobs.submit(new JobRequest("j2", "team-a", List.of("true"), Map.of(), mem(10), 1, 60,
                null));
        assertLimit(second.rejection(), "openJobs", 1);
        assertThat(store.jobs().get("j2")).isNull();
        assertThat(store.claims().get("j2")).isNull();
        assertThat(jobs.cancel("j1").ok()).isTrue();
        assertThat(jobs.submit(new JobRequest("j2", "team-a", List.of("true"), Map.of(), mem(10), 1, 60,
                null)).ok()).isTrue();
    }

    @Test
    void ordersNotEndedPastTheLimitAreRefusedWithNothingHeld() {
        Exchange exchange = ledger.exchange();
        assertThat(exchange.place(OrderRequest.of("o1", "team-a", "memory", Side.OFFER, 1024, 3600, 3)).ok()).isTrue();
        long before = ledger.accounts().account(Account.ofTenant("team-a")).balance();
        Result<MarketOrder> bid = exchange.place(OrderRequest.of("b1", "team-a", "memory", Side.BID, 1024, 3600, 2));
        assertLimit(bid.rejection(), "openOrders", 1);
        assertThat(exchange.order("b1", "team-a")).isNull();
        assertThat(ledger.accounts().account(Account.ofTenant("team-a")).balance()).as("nothing put in escrow")
                .isEqualTo(before);
        assertThat(exchange.cancel("o1", "team-a").ok()).isTrue();
        assertThat(exchange.place(OrderRequest.of("b1", "team-a", "memory", Side.BID, 1024, 3600, 2)).ok()).isTrue();
        assertThat(ledger.limitUsage("team-a")).containsEntry("openOrders", 1L);
    }

    @Test
    void reservationsNotEndedPastTheLimitAreRefused() {
        long now = clock.millis();
        Reservations.Request r = new Reservations.Request(mem(10), 1, now + 3_600_000, now + 7_200_000, null,
                Funding.QUOTA_ONLY, 0, 5);
        assertThat(ledger.reservations().book("r1", "team-a", r).rejection()).isNull();
        assertLimit(ledger.reservations().book("r2", "team-a", r).rejection(), "reservations", 1);
        assertThat(store.reservations().get("r2")).isNull();
        assertThat(ledger.reservations().cancel("r1", "team-a").ok()).isTrue();
        assertThat(ledger.reservations().book("r2", "team-a", r).rejection()).isNull();
    }

    @Test
    void theOperatorsOwnLimitsForOneTenantReplaceTheBrokersForItAlone() {
        assertThat(ledger.setLimits("team-a", null, null, Map.of("liveClaims", 1L)).ok()).isTrue();
        assertThat(ledger.limits(store.tenants().get("team-a")).liveClaims()).isEqualTo(1);
        assertThat(ledger.limits(store.tenants().get("team-b")).liveClaims()).isEqualTo(3);
        assertThat(submit("a1", "team-a", mem(10)).ok()).isTrue();
        assertLimit(submit("a2", "team-a", mem(10)).rejection(), "liveClaims", 1);
        assertThat(submit("b1", "team-b", mem(10)).ok()).isTrue();
        assertThat(submit("b2", "team-b", mem(10)).ok()).isTrue();

        Result<TenantState> bad = ledger.setLimits("team-a", 10L, null, Map.of("claims", 5L));
        assertThat(bad.rejection().code()).isEqualTo(Rejection.Code.INVALID);
        assertThat(bad.rejection().detail()).contains("claims");
        assertThat(ledger.accounts().account(Account.ofTenant("team-a")).creditLimit())
                .as("a refused change changes nothing").isZero();

        assertThat(ledger.setLimits("team-a", null, null, Map.of()).ok()).as("{} clears the tenant's own").isTrue();
        assertThat(submit("a2", "team-a", mem(10)).ok()).isTrue();
    }

    @Test
    void unlimitedMeansNoCount() {
        ledger = new Ledger(store, clock, LedgerSettings.defaults().withLimits(TenantLimits.NONE));
        for (int i = 0; i < 20; i++) {
            assertThat(submit("u" + i, "team-a", dbLock()).ok()).isTrue();
        }
    }
}
