package io.ichiba.ledger;

import io.ichiba.ledger.Rejection.Code;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimCommands;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.handler.PriceAlert;
import io.ichiba.ledger.pool.AgentRecord;
import io.ichiba.ledger.pool.Amounts;
import io.ichiba.ledger.pool.Hold;
import io.ichiba.ledger.pool.KindDef;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.PlaceCommands.HoldFor;
import io.ichiba.ledger.pool.PlaceCommands.ReturnFor;
import io.ichiba.ledger.pool.PoolView;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.store.Table;
import io.ichiba.ledger.tenant.Principal;
import io.ichiba.ledger.tenant.TenantState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every behaviour of the ledger, run against each {@link Store} (exchange-core's {@code OrderBookBaseTest}):
 * a subclass supplies an empty store, and the same scenarios must pass on the in-memory reference and on
 * Hazelcast.
 *
 * <p>Time is a {@link MutableClock}. After every step the test calls {@link #checkInvariants()} (laws 1–3 on the
 * whole store), and after every scenario the {@link Auditor} must find no drift. The store is wrapped in an
 * {@link InterceptingStore}, so that a scenario can make something happen in the middle of a grant without
 * threads.
 */
public abstract class StoreContractTest {
    /** The settings every scenario runs with: the defaults (aging 10 s, starvation 60 s, stale grant 10 s). */
    protected static final LedgerSettings SETTINGS = LedgerSettings.defaults();
    /** The lease every claim asks for unless a scenario says otherwise. */
    protected static final long LEASE_SECONDS = 60;

    protected InterceptingStore store;
    protected MutableClock clock;
    protected Ledger ledger;
    protected Admission admission;
    /** One reaper per member: each sweeps only the keys its member owns. */
    protected List<LeaseReaper> reapers;
    protected Auditor auditor;
    /** Pools a scenario over-committed on purpose by reporting less capacity than was granted. */
    protected final Set<String> lowered = new HashSet<>();

    /** Returns an empty store of the kind under test. */
    protected abstract Store createStore();

    /**
     * Returns the same store as seen from each other member of the cluster, if any: the reaper runs on every
     * member, because each member sweeps only the keys it owns.
     */
    protected List<Store> peerStores() {
        return List.of();
    }

    @BeforeEach
    void setUpLedger() {
        store = new InterceptingStore(createStore());
        clock = new MutableClock();
        ledger = new Ledger(store, clock, SETTINGS);
        admission = new Admission(ledger);
        reapers = new ArrayList<>();
        reapers.add(new LeaseReaper(ledger));
        for (Store peer : peerStores()) {
            reapers.add(new LeaseReaper(new Ledger(peer, clock, SETTINGS)));
        }
        auditor = new Auditor(ledger);
    }

    @AfterEach
    void lawsHoldAfterEveryScenario() {
        if (store == null) {
            return; // the store could not be made (a database this run does not have): the scenario was skipped
        }
        assertThat(store.allFired()).as("every interception of the scenario fired").isTrue();
        checkInvariants();
        assertAuditOk();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Laws 1–3 on the whole store; pools in {@link #lowered} may be over-committed. */
    protected void checkInvariants() {
        LedgerInvariants.check(store, lowered);
    }

    protected void assertAuditOk() {
        Auditor.Report report = auditor.audit();
        assertThat(report.drift()).as("audit drift").isEmpty();
        assertThat(report.ok()).isTrue();
        assertThat(report.checkedAt()).isEqualTo(clock.millis());
    }

    protected TenantState tenant(String id, long memory, long disk) {
        Result<TenantState> r = ledger.createTenant(id, Map.of("memory", memory, "disk", disk));
        assertThat(r.rejection()).isNull();
        return r.value();
    }

    protected NodeState node(String id, long memory, long disk) {
        Result<NodeState> r = ledger.report(id, Map.of("memory", memory, "disk", disk), Map.of());
        assertThat(r.rejection()).isNull();
        checkInvariants();
        return r.value();
    }

    protected LockState lock(String name, long permits) {
        Result<LockState> r = ledger.createLock(name, permits);
        assertThat(r.rejection()).isNull();
        return r.value();
    }

    protected static Bundle bundle(long memory, long disk, String... locks) {
        TreeMap<String, Long> amounts = new TreeMap<>();
        amounts.put("memory", memory);
        amounts.put("disk", disk);
        return Bundle.of(amounts, Arrays.asList(locks));
    }

    protected static SortedMap<String, Long> amounts(long memory, long disk) {
        return bundle(memory, disk).amounts();
    }

    protected Claim submit(String id, String tenant, Bundle b) {
        return submit(id, tenant, b, 0, null);
    }

    protected Claim submit(String id, String tenant, Bundle b, int priority, String node) {
        Result<Claim> r = ledger.submit(ClaimRequest.of(id, tenant, b, priority, LEASE_SECONDS, node));
        assertThat(r.rejection()).as("submit %s", id).isNull();
        assertThat(r.value().state()).isEqualTo(ClaimState.QUEUED);
        checkInvariants();
        return r.value();
    }

    protected Rejection refused(String id, String tenant, Bundle b, String node) {
        Result<Claim> r = ledger.submit(ClaimRequest.of(id, tenant, b, 0, LEASE_SECONDS, node));
        assertThat(r.ok()).as("submit %s should be refused", id).isFalse();
        assertThat(store.claims().get(id)).as("a refused claim is not stored").isNull();
        checkInvariants();
        return r.rejection();
    }

    /** Runs the reaper on every member once; answers the sum of what the sweeps did. */
    protected LeaseReaper.Sweep sweep() {
        int expired = 0;
        int returned = 0;
        int purged = 0;
        for (LeaseReaper r : reapers) {
            LeaseReaper.Sweep s = r.sweep();
            expired += s.expired();
            returned += s.returned();
            purged += s.purged();
        }
        checkInvariants();
        return new LeaseReaper.Sweep(expired, returned, purged);
    }

    protected List<String> pass() {
        Admission.Pass p = admission.pass();
        checkInvariants();
        return p.granted().stream().map(Claim::id).toList();
    }

    protected Claim release(String id) {
        Result<Claim> r = ledger.release(id);
        assertThat(r.rejection()).as("release %s", id).isNull();
        checkInvariants();
        return r.value();
    }

    protected Claim claim(String id) {
        return ledger.claim(id);
    }

    protected PoolView pool(String id) {
        return ledger.pool(id);
    }

    protected Map<String, Hold> tenantHolders(String tenant) {
        return store.tenants().get(tenant).holdings().holders();
    }

    protected Map<String, Hold> nodeHolders(String node) {
        return store.nodes().get(node).holdings().holders();
    }

    protected Map<String, Hold> lockHolders(String lock) {
        return store.locks().get(lock).holdings().holders();
    }

    /** Everything the ledger keeps about pools and claims, to show that an operation changed nothing. */
    protected List<Map<String, ?>> snapshot() {
        return List.of(store.nodes().entries(), store.locks().entries(), store.tenants().entries(),
                store.claims().entries());
    }

    protected static boolean holdFor(Command<?, ?> cmd, String claimId) {
        return cmd instanceof HoldFor<?> h && h.claimId().equals(claimId);
    }

    // ------------------------------------------------------------------------------------------------ definitions

    @Nested
    class Definitions {
        @Test
        void tenantIsCreatedOnceAndAConflictKeepsTheFirst() {
            long t0 = clock.millis();
            TenantState first = tenant("acme", 4000, 20_000);
            assertThat(first.quota()).containsExactlyInAnyOrderEntriesOf(Map.of("memory", 4000L, "disk", 20_000L));
            assertThat(first.createdAt()).isEqualTo(t0);
            assertThat(store.tenants().get("acme")).isEqualTo(first);

            clock.advance(Duration.ofSeconds(1));
            Result<TenantState> again = ledger.createTenant("acme", Map.of("memory", 1L));
            assertThat(again.rejection().code()).isEqualTo(Code.ALREADY_EXISTS);
            assertThat(store.tenants().get("acme")).as("the first tenant is kept").isEqualTo(first);
        }

        @Test
        void tenantWithUnknownKindOrBadNameIsRefusedAndNothingIsStored() {
            assertThat(ledger.createTenant("acme", Map.of("gpu", 1L)).rejection().code()).isEqualTo(Code.UNKNOWN_KIND);
            assertThat(ledger.createTenant("a/b", Map.of("memory", 1L)).rejection().code()).isEqualTo(Code.INVALID);
            assertThat(ledger.createTenant("mem@x", Map.of("memory", 1L)).rejection().code()).isEqualTo(Code.INVALID);
            assertThat(store.tenants().entries()).isEmpty();
        }

        @Test
        void lockIsCreatedOnceAndAConflictKeepsTheFirst() {
            LockState db = lock("db", 2);
            assertThat(db.permits()).isEqualTo(2);
            Result<LockState> again = ledger.createLock("db", 5);
            assertThat(again.rejection().code()).isEqualTo(Code.ALREADY_EXISTS);
            assertThat(store.locks().get("db").permits()).isEqualTo(2);
            PoolView p = pool("lock:db");
            assertThat(p.capacity()).isEqualTo(2);
            assertThat(p.granted()).isZero();
            assertThat(p.kind()).isEqualTo(LockState.KIND);
            assertThat(ledger.createLock("bad:name", 1).rejection().code()).isEqualTo(Code.INVALID);
        }

        @Test
        void kindIsDefinedOnceAndBuiltInKindsCannotBeRedefined() {
            assertThat(ledger.report("n1", Map.of("gpu", 4L), Map.of()).rejection().code())
                    .as("a kind must be defined before a report names it").isEqualTo(Code.UNKNOWN_KIND);
            assertThat(store.nodes().get("n1")).isNull();

            Result<KindDef> gpu = ledger.defineKind("gpu", "devices");
            assertThat(gpu.rejection()).isNull();
            assertThat(gpu.value().unit()).isEqualTo("devices");
            assertThat(ledger.kinds()).containsExactlyInAnyOrder("memory", "disk", "gpu");
            assertThat(ledger.defineKind("gpu", "cards").rejection().code()).isEqualTo(Code.ALREADY_EXISTS);
            assertThat(store.kinds().get("gpu").unit()).isEqualTo("devices");
            assertThat(ledger.defineKind("memory", null).rejection().code()).isEqualTo(Code.ALREADY_EXISTS);
            assertThat(ledger.defineKind("lock", null).rejection().code()).isEqualTo(Code.ALREADY_EXISTS);

            // the new kind is reported, claimed and granted like memory
            assertThat(ledger.report("n1", Map.of("gpu", 4L, "memory", 1000L), Map.of()).ok()).isTrue();
            assertThat(ledger.createTenant("acme", Map.of("gpu", 2L)).ok()).isTrue();
            submit("g1", "acme", Bundle.of(Map.of("gpu", 2L), List.of()));
            assertThat(pass()).containsExactly("g1");
            assertThat(pool("gpu@n1").granted()).isEqualTo(2);
        }

        @Test
        void reportSetsCapacityAndKeepsUnreportedKinds() {
            long t0 = clock.millis();
            NodeState n = node("n1", 1000, 5000);
            assertThat(n.capacity("memory")).isEqualTo(1000);
            assertThat(n.lastReportAt()).isEqualTo(t0);
            assertThat(pool("memory@n1").capacity()).isEqualTo(1000);
            assertThat(pool("disk@n1").capacity()).isEqualTo(5000);

            clock.advance(Duration.ofSeconds(5));
            Result<NodeState> r = ledger.report("n1", Map.of("memory", 800L), Map.of("memory", 750L));
            assertThat(r.ok()).isTrue();
            NodeState after = store.nodes().get("n1");
            assertThat(after.capacity("memory")).isEqualTo(800);
            assertThat(after.capacity("disk")).as("a kind the report does not name keeps its capacity").isEqualTo(5000);
            assertThat(after.measuredFree()).containsEntry("memory", 750L);
            assertThat(after.lastReportAt()).isEqualTo(t0 + 5000);
            assertThat(pool("memory@n1").measuredFree()).isEqualTo(750L);
            assertThat(ledger.pools()).extracting(PoolView::id).containsExactly("disk@n1", "memory@n1");
        }

        @Test
        void agentIsRegisteredOncePerNodeWithItsToken() {
            long t0 = clock.millis();
            Result<AgentRecord> first = ledger.registerAgent("n1", "hash-1");
            assertThat(first.rejection()).isNull();
            assertThat(store.agents().get("n1")).isEqualTo(new AgentRecord("n1", "hash-1", t0));
            assertThat(store.principals().get("hash-1"))
                    .isEqualTo(new Principal(Principal.Role.AGENT, "n1", t0));

            clock.advance(Duration.ofSeconds(1));
            assertThat(ledger.registerAgent("n1", "hash-1").value()).as("the same registration again")
                    .isEqualTo(first.value());
            assertThat(ledger.registerAgent("n1", "hash-2").rejection().code()).isEqualTo(Code.ALREADY_EXISTS);
            assertThat(store.principals().get("hash-2")).as("no second valid token for the node").isNull();
            assertThat(store.agents().get("n1").tokenHash()).isEqualTo("hash-1");
            assertThat(ledger.registerAgent("bad/node", "hash-3").rejection().code()).isEqualTo(Code.INVALID);
            assertThat(store.principals().get("hash-3")).isNull();
        }

        @Test
        void tenantTokenIsIssuedOnce() {
            long t0 = clock.millis();
            ledger.issueTenantToken("acme", "hash-t");
            clock.advance(Duration.ofSeconds(1));
            ledger.issueTenantToken("acme", "hash-t");
            assertThat(store.principals().get("hash-t")).isEqualTo(new Principal(Principal.Role.TENANT, "acme", t0));
        }

        @Test
        void aRotatedTenantTokenReplacesEveryTokenOfTheTenantAndNoOtherTenants() {
            ledger.createTenant("acme", Map.of("memory", 100L));
            ledger.createTenant("other", Map.of("memory", 100L));
            ledger.issueTenantToken("acme", "hash-a1");
            ledger.issueTenantToken("acme", "hash-a2");
            ledger.issueTenantToken("other", "hash-o");
            ledger.registerAgent("acme", "hash-agent"); // an agent of a node named as the tenant: not the tenant's
            Result<List<String>> r = ledger.rotateTenantToken("acme", "hash-a3");
            assertThat(r.value()).containsExactlyInAnyOrder("hash-a1", "hash-a2");
            assertThat(store.principals().get("hash-a1")).isNull();
            assertThat(store.principals().get("hash-a2")).isNull();
            assertThat(store.principals().get("hash-a3")).isEqualTo(new Principal(Principal.Role.TENANT, "acme",
                    clock.millis()));
            assertThat(store.principals().get("hash-o").subject()).isEqualTo("other");
            assertThat(store.principals().get("hash-agent").role()).isEqualTo(Principal.Role.AGENT);
            assertThat(ledger.rotateTenantToken("nobody", "hash-x").rejection().code()).isEqualTo(Code.NOT_FOUND);
            assertThat(store.principals().get("hash-x")).isNull();
        }

        @Test
        void theAuditTrailKeepsActionsInTimeOrderAndPagesThem() {
            var a1 = new io.ichiba.ledger.audit.OperatorAction(io.ichiba.ledger.audit.OperatorAction.id(2000, "b"),
                    2000, "operator", "updateTenant", "/v1/tenants/acme", "{\"q\":1}", "{\"q\":2}");
            var a0 = new io.ichiba.ledger.audit.OperatorAction(io.ichiba.ledger.audit.OperatorAction.id(1000, "a"),
                    1000, "agent:n1", "reportNode", "/v1/nodes/n1/report", null, "x".repeat(10_000));
            ledger.recordAction(a1);
            ledger.recordAction(a0);
            ledger.recordAction(a0); // again: once
            assertThat(ledger.actions(null, 10)).containsExactly(a0, a1);
            assertThat(ledger.actions(null, 1)).containsExactly(a0);
            assertThat(ledger.actions(a0.id(), 10)).containsExactly(a1);
            assertThat(ledger.actions(a1.id(), 10)).isEmpty();
            assertThat(a0.after()).hasSize(io.ichiba.ledger.audit.OperatorAction.MAX_TEXT);
        }

        @Test
        void aRotatedAgentTokenReplacesTheOldOneInTheAgentAndThePrincipals() {
            long t0 = clock.millis();
            ledger.registerAgent("n1", "hash-1");
            clock.advance(Duration.ofSeconds(1));
            assertThat(ledger.rotateAgentToken("n1", "hash-2").value()).containsExactly("hash-1");
            assertThat(store.agents().get("n1")).isEqualTo(new AgentRecord("n1", "hash-2", t0));
            assertThat(store.principals().get("hash-1")).isNull();
            assertThat(store.principals().get("hash-2")).isEqualTo(new Principal(Principal.Role.AGENT, "n1",
                    clock.millis()));
            assertThat(ledger.registerAgent("n1", "hash-1").rejection().code()).as("the node still has its agent")
                    .isEqualTo(Code.ALREADY_EXISTS);
            assertThat(ledger.rotateAgentToken("n2", "hash-3").rejection().code()).isEqualTo(Code.NOT_FOUND);
            assertThat(store.principals().get("hash-3")).isNull();
        }

        @Test
        void reportOfANegativeOrHugeAmountIsInvalidAndChangesNothing() {
            node("n1", 1000, 5000);
            List<Map<String, ?>> before = snapshot();
            assertThat(ledger.report("n1", Map.of("memory", -1L), Map.of()).rejection().code())
                    .isEqualTo(Code.INVALID);
            assertThat(ledger.report("n1", Map.of("memory", 10L), Map.of("disk", -1L)).rejection().code())
                    .isEqualTo(Code.INVALID);
            assertThat(ledger.report("n1", Map.of("disk", Amounts.MAX_AMOUNT + 1), Map.of()).rejection().code())
                    .isEqualTo(Code.INVALID);
            assertThat(ledger.report("n2", Map.of("memory", -1L), Map.of()).rejection().code())
                    .isEqualTo(Code.INVALID);
            assertThat(snapshot()).isEqualTo(before);
            assertThat(ledger.report("n1", Map.of("memory", 0L), Map.of()).ok()).as("zero is a capacity").isTrue();
            assertThat(store.nodes().get("n1").capacity("memory")).isZero();
        }

        @Test
        void tenantWithANegativeQuotaAndLockWithoutPermitsAreRefused() {
            refusedAndNothingStored(() -> ledger.createTenant("acme", Map.of("memory", -1L)));
            refusedAndNothingStored(() -> ledger.createLock("db", 0));
            assertThat(store.tenants().entries()).isEmpty();
            assertThat(store.locks().entries()).isEmpty();
        }

        /** Bad input is refused — by an INVALID result or by a record's validation — and nothing is written. */
        private void refusedAndNothingStored(java.util.function.Supplier<Result<?>> call) {
            List<Map<String, ?>> before = snapshot();
            try {
                Result<?> r = call.get();
                assertThat(r.ok()).as("refused").isFalse();
                assertThat(r.rejection().code()).isEqualTo(Code.INVALID);
            } catch (IllegalArgumentException invalid) {
                assertThat(invalid.getMessage()).isNotBlank();
            }
            assertThat(snapshot()).isEqualTo(before);
        }

        @Test
        void reportNamingAnUnknownKindOrBadNodeChangesNothing() {
            node("n1", 1000, 5000);
            List<Map<String, ?>> before = snapshot();
            assertThat(ledger.report("n1", Map.of("memory", 1L, "tpu", 2L), Map.of()).rejection().code())
                    .isEqualTo(Code.UNKNOWN_KIND);
            assertThat(ledger.report("n1", Map.of("memory", 1L), Map.of("tpu", 2L)).rejection().code())
                    .isEqualTo(Code.UNKNOWN_KIND);
            assertThat(ledger.report("n 1", Map.of("memory", 1L), Map.of()).rejection().code())
                    .isEqualTo(Code.INVALID);
            assertThat(snapshot()).isEqualTo(before);
        }
    }

    // ------------------------------------------------------------------------------------------------ submit

    @Nested
    class Submit {
        @BeforeEach
        void world() {
            tenant("acme", 4000, 20_000);
            tenant("tiny", 500, 500);
            node("n1", 1000, 5000);
            node("n2", 2000, 10_000);
            lock("db", 1);
        }

        @Test
        void unknownKindIsRefused() {
            Bundle gpu = Bundle.of(Map.of("memory", 10L, "gpu", 1L), List.of());
            assertThat(refused("c1", "acme", gpu, null).code()).isEqualTo(Code.UNKNOWN_KIND);
        }

        @Test
        void unknownLockIsRefused() {
            assertThat(refused("c1", "acme", bundle(10, 10, "nope"), null).code()).isEqualTo(Code.NO_SUCH_LOCK);
        }

        @Test
        void unknownNodeIsRefused() {
            assertThat(refused("c1", "acme", bundle(10, 10), "n9").code()).isEqualTo(Code.NO_SUCH_NODE);
        }

        @Test
        void bundleLargerThanEveryNodeNeverFits() {
            Rejection r = refused("c1", "acme", bundle(2001, 10), null);
            assertThat(r.code()).isEqualTo(Code.NEVER_FITS);
            // the memory fits only n2 and the disk only n3: no single node has both
            node("n3", 500, 50_000);
            assertThat(refused("c2", "acme", Bundle.of(Map.of("memory", 1500L, "disk", 20_000L), List.of()), null)
                    .code()).isEqualTo(Code.NEVER_FITS);
        }

        @Test
        void bundleLargerThanTheRequestedNodeNeverFits() {
            assertThat(refused("c1", "acme", bundle(1500, 10), "n1").code()).isEqualTo(Code.NEVER_FITS);
            assertThat(submit("c2", "acme", bundle(1500, 10), 0, "n2").requestedNode()).isEqualTo("n2");
        }

        @Test
        void bundleLargerThanTheWholeQuotaNeverFits() {
            assertThat(refused("c1", "tiny", bundle(501, 10), null).code()).isEqualTo(Code.NEVER_FITS);
            assertThat(refused("c2", "acme", bundle(10, 20_001), null).code()).isEqualTo(Code.NEVER_FITS);
            submit("c3", "tiny", bundle(500, 500));
        }

        @Test
        void unknownTenantAndBadLeaseAreRefused() {
            assertThat(ledger.submit(ClaimRequest.of("c1", "ghost", bundle(1, 1), 0, 60, null)).rejection().code())
                    .isEqualTo(Code.NOT_FOUND);
            assertThat(ledger.submit(ClaimRequest.of("c1", "acme", bundle(1, 1), 0, 0, null)).rejection().code())
                    .isEqualTo(Code.INVALID);
            assertThat(ledger.submit(ClaimRequest.of("c1", "acme", bundle(1, 1), 0, SETTINGS.maxLeaseSeconds() + 1,
                    null))
                    .rejection().code()).isEqualTo(Code.INVALID);
            assertThat(store.claims().entries()).isEmpty();
        }

        @Test
        void submittingTheSameIdAgainAnswersTheStoredClaim() {
            Claim first = submit("c1", "acme", bundle(100, 100));
            assertThat(first.createdAt()).isEqualTo(clock.millis());
            assertThat(first.leaseSeconds()).isEqualTo(LEASE_SECONDS);
            clock.advance(Duration.ofSeconds(3));
            Result<Claim> again = ledger.submit(ClaimRequest.of("c1", "acme", bundle(999, 999), 5, 10, null));
            assertThat(again.ok()).isTrue();
            // the same claim; its outbox aside (an engine publishes the events of a batch and empties the outbox)
            assertThat(again.value()).usingRecursiveComparison().ignoringFields("outbox").isEqualTo(first);
            assertThat(store.claims().entries()).hasSize(1);
        }
    }

    // ------------------------------------------------------------------------------------------------ grants

    @Nested
    class Grants {
        @BeforeEach
        void world() {
            tenant("acme", 4000, 20_000);
            node("n1", 1000, 5000);
            lock("db", 1);
        }

        @Test
        void claimThatFitsIsGrantedWithEveryHold() {
            long t0 = clock.millis();
            submit("c1", "acme", bundle(300, 1000, "db"));
            assertThat(pass()).containsExactly("c1");

            Claim c = claim("c1");
            assertThat(c.state()).isEqualTo(ClaimState.GRANTED);
            assertThat(c.node()).isEqualTo("n1");
            assertThat(c.grantedAt()).isEqualTo(t0);
            assertThat(c.leaseExpiresAt()).isEqualTo(t0 + LEASE_SECONDS * 1000);
            Hold expected = new Hold(amounts(300, 1000));
            assertThat(tenantHolders("acme")).containsExactly(Map.entry("c1", expected));
            assertThat(nodeHolders("n1")).containsExactly(Map.entry("c1", expected));
            assertThat(lockHolders("db")).containsExactly(Map.entry("c1", new Hold(LockState.onePermit())));
            assertThat(store.tenants().get("acme").used("memory")).isEqualTo(300);

            PoolView mem = pool("memory@n1");
            assertThat(mem.granted()).isEqualTo(300);
            assertThat(mem.free()).isEqualTo(700);
            assertThat(mem.holders()).isEqualTo(1);
            assertThat(mem.overcommitted()).isFalse();
            assertThat(pool("disk@n1").granted()).isEqualTo(1000);
            assertThat(pool("lock:db").granted()).isEqualTo(1);
            assertThat(pool("lock:db").free()).isZero();
            assertThat(ledger.claims("acme", ClaimState.GRANTED)).extracting(Claim::id).containsExactly("c1");

            assertThat(pass()).as("a second pass grants nothing again").isEmpty();
            assertThat(claim("c1").grantedAt()).as("granted once").isEqualTo(t0);
        }

        @Test
        void lockOnlyClaimHoldsNoQuotaAndNoNode() {
            submit("l1", "acme", Bundle.of(Map.of(), List.of("db")));
            assertThat(pass()).containsExactly("l1");
            assertThat(claim("l1").node()).isNull();
            assertThat(tenantHolders("acme")).isEmpty();
            assertThat(nodeHolders("n1")).isEmpty();
            assertThat(lockHolders("db")).containsOnlyKeys("l1");
        }

        @Test
        void bundleWhoseLockIsHeldHoldsNothingElse() {
            submit("a", "acme", bundle(100, 100, "db"));
            assertThat(pass()).containsExactly("a");
            submit("b", "acme", bundle(200, 300, "db"));
            assertThat(pass()).isEmpty();

            Claim b = claim("b");
            assertThat(b.state()).isEqualTo(ClaimState.QUEUED);
            assertThat(b.reason()).isEqualTo(Code.LOCK_HELD.name());
            assertThat(tenantHolders("acme")).containsOnlyKeys("a");
            assertThat(nodeHolders("n1")).containsOnlyKeys("a");
            assertThat(lockHolders("db")).containsOnlyKeys("a");
            assertThat(pool("memory@n1").granted()).isEqualTo(100);
            assertThat(pool("disk@n1").granted()).isEqualTo(100);
            assertThat(store.tenants().get("acme").used("disk")).isEqualTo(100);

            release("a");
            assertThat(pass()).containsExactly("b");
            assertThat(pool("memory@n1").granted()).isEqualTo(200);
            assertThat(pool("disk@n1").granted()).isEqualTo(300);
            assertThat(lockHolders("db")).containsOnlyKeys("b");
        }

        @Test
        void holdRefusedMidGrantReturnsTheHoldsAlreadyPlaced() {
            submit("c1", "acme", bundle(600, 100));
            // the agent reports less memory after the pass read the pools, before the node hold
            store.before("nodes", (key, cmd) -> holdFor(cmd, "c1"), () -> {
                assertThat(tenantHolders("acme")).as("the tenant hold came first").containsOnlyKeys("c1");
                ledger.report("n1", Map.of("memory", 500L), Map.of());
            });
            assertThat(pass()).isEmpty();

            Claim c = claim("c1");
            assertThat(c.state()).isEqualTo(ClaimState.QUEUED);
            assertThat(c.reason()).isEqualTo(Code.INSUFFICIENT_CAPACITY.name());
            assertThat(c.grantedAt()).as("no grant").isZero();
            assertThat(c.node()).isNull();
            assertThat(tenantHolders("acme")).as("the tenant hold was returned").isEmpty();
            assertThat(nodeHolders("n1")).isEmpty();

            ledger.report("n1", Map.of("memory", 1000L), Map.of());
            assertThat(pass()).containsExactly("c1");
            assertThat(claim("c1").state()).isEqualTo(ClaimState.GRANTED);
        }

        @Test
        void quotaExceededWaitsThenIsGrantedAfterRelease() {
            ledger.createTenant("small", Map.of("memory", 500L, "disk", 500L));
            submit("a", "small", bundle(300, 100));
            submit("b", "small", bundle(300, 100));
            assertThat(pass()).containsExactly("a");
            Claim b = claim("b");
            assertThat(b.state()).isEqualTo(ClaimState.QUEUED);
            assertThat(b.reason()).isEqualTo(Code.QUOTA.name());
            assertThat(b.considered()).isTrue();
            assertThat(pool("memory@n1").granted()).as("no node hold for a claim over quota").isEqualTo(300);
            assertThat(store.tenants().get("small").used("memory")).isEqualTo(300);

            release("a");
            assertThat(pass()).containsExactly("b");
            assertThat(store.tenants().get("small").used("memory")).isEqualTo(300);
        }

        @Test
        void bestFitChoosesTheNodeLeftWithTheLeastFree() {
            node("n2", 400, 5000);
            node("n3", 2000, 5000);
            submit("c1", "acme", Bundle.of(Map.of("memory", 300L), List.of()));
            assertThat(pass()).containsExactly("c1");
            assertThat(claim("c1").node()).as("n2 is left with 100 free").isEqualTo("n2");

            submit("c2", "acme", Bundle.of(Map.of("memory", 300L), List.of()));
            assertThat(pass()).containsExactly("c2");
            assertThat(claim("c2").node()).as("n2 no longer fits; n1 is left with 700, n3 with 1700").isEqualTo("n1");

            // equal nodes: the smaller id wins
            node("m1", 5000, 5000);
            node("m0", 5000, 5000);
            submit("c3", "acme", Bundle.of(Map.of("memory", 3000L), List.of()));
            assertThat(pass()).containsExactly("c3");
            assertThat(claim("c3").node()).isEqualTo("m0");
        }

        @Test
        void requestedNodeIsHonouredEvenWhenAnotherFitsBetter() {
            node("n2", 400, 5000);
            submit("c1", "acme", Bundle.of(Map.of("memory", 300L), List.of()), 0, "n1");
            assertThat(pass()).containsExactly("c1");
            assertThat(claim("c1").node()).isEqualTo("n1");

            submit("c2", "acme", Bundle.of(Map.of("memory", 800L), List.of()), 0, "n1");
            assertThat(pass()).isEmpty();
            assertThat(claim("c2").reason()).isEqualTo(Code.INSUFFICIENT_CAPACITY.name());
        }
    }

    // ------------------------------------------------------------------------------------------------ endings

    @Nested
    class Endings {
        @BeforeEach
        void world() {
            tenant("acme", 4000, 20_000);
            node("n1", 1000, 5000);
            lock("db", 1);
        }

        @Test
        void releaseReturnsTokensExactlyOnce() {
            submit("a", "acme", bundle(300, 100, "db"));
            assertThat(pass()).containsExactly("a");
            clock.advance(Duration.ofSeconds(7));

            Claim released = release("a");
            assertThat(released.state()).isEqualTo(ClaimState.RELEASED);
            assertThat(released.returned()).isTrue();
            assertThat(released.endedAt()).isEqualTo(clock.millis());
            assertThat(released.reason()).isEqualTo("RELEASED");
            assertThat(pool("memory@n1").granted()).isZero();
            assertThat(pool("disk@n1").granted()).isZero();
            assertThat(pool("lock:db").granted()).isZero();
            assertThat(store.tenants().get("acme").holdings().holders()).isEmpty();

            List<Map<String, ?>> after = snapshot();
            clock.advance(Duration.ofSeconds(1));
            Result<Claim> twice = ledger.release("a");
            assertThat(twice.ok()).isTrue();
            assertThat(twice.value()).usingRecursiveComparison().ignoringFields("outbox").isEqualTo(released);
            assertThat(snapshot()).as("a second release changes nothing").isEqualTo(after);

            // the same tokens go to another claim; returning "a" again must not take them from it
            submit("b", "acme", bundle(300, 100, "db"));
            assertThat(pass()).containsExactly("b");
            ledger.returnTokens(released);
            ledger.returnTokens(claim("a"));
            checkInvariants();
            assertThat(pool("memory@n1").granted()).isEqualTo(300);
            assertThat(lockHolders("db")).containsOnlyKeys("b");
        }

        @Test
        void releaseOfAQueuedOrUnknownClaimIsRefusedAndChangesNothing() {
            submit("a", "acme", bundle(300, 100));
            List<Map<String, ?>> before = snapshot();
            assertThat(ledger.release("a").rejection().code()).isEqualTo(Code.WRONG_STATE);
            assertThat(ledger.release("nope").rejection().code()).isEqualTo(Code.NOT_FOUND);
            assertThat(ledger.cancel("nope").rejection().code()).isEqualTo(Code.NOT_FOUND);
            assertThat(ledger.renew("nope", 0).rejection().code()).isEqualTo(Code.NOT_FOUND);
            assertThat(snapshot()).isEqualTo(before);
        }

        @Test
        void cancelOfAQueuedClaimEndsItHoldingNothing() {
            submit("big", "acme", bundle(800, 100));
            assertThat(pass()).containsExactly("big");
            submit("q", "acme", bundle(500, 100));
            assertThat(pass()).isEmpty();

            Result<Claim> r = ledger.cancel("q");
            assertThat(r.ok()).isTrue();
            assertThat(r.value().state()).isEqualTo(ClaimState.CANCELLED);
            assertThat(r.value().returned()).isTrue();
            checkInvariants();

            release("big");
            assertThat(pass()).as("a cancelled claim is never granted").isEmpty();
            assertThat(claim("q").state()).isEqualTo(ClaimState.CANCELLED);
            List<Map<String, ?>> before = snapshot();
            assertThat(ledger.cancel("q").value()).usingRecursiveComparison().ignoringFields("outbox")
                    .isEqualTo(r.value());
            assertThat(snapshot()).isEqualTo(before);
        }

        @Test
        void cancelOfAGrantedClaimReturnsItsTokens() {
            submit("a", "acme", bundle(800, 100, "db"));
            assertThat(pass()).containsExactly("a");
            submit("b", "acme", bundle(500, 100, "db"));
            assertThat(pass()).isEmpty();

            Result<Claim> r = ledger.cancel("a");
            assertThat(r.value().state()).isEqualTo(ClaimState.CANCELLED);
            assertThat(r.value().returned()).isTrue();
            checkInvariants();
            assertThat(pool("memory@n1").granted()).isZero();
            assertThat(pool("lock:db").granted()).isZero();
            assertThat(pass()).containsExactly("b");
        }

    }

    // ------------------------------------------------------------------------------------------------ leases

    @Nested
    class Leases {
        @BeforeEach
        void world() {
            tenant("acme", 4000, 20_000);
            node("n1", 1000, 5000);
            lock("db", 1);
        }

        @Test
        void renewExtendsTheLease() {
            long t0 = clock.millis();
            submit("a", "acme", bundle(300, 100, "db"));
            assertThat(pass()).containsExactly("a");
            assertThat(claim("a").leaseExpiresAt()).isEqualTo(t0 + 60_000);

            clock.advance(Duration.ofSeconds(50));
            Result<Claim> r = ledger.renew("a", 0);
            assertThat(r.ok()).isTrue();
            assertThat(r.value().leaseExpiresAt()).isEqualTo(t0 + 110_000);

            clock.advance(Duration.ofSeconds(20)); // past the first deadline, before the renewed one
            assertThat(sweep().expired()).isZero();
            assertThat(claim("a").state()).isEqualTo(ClaimState.GRANTED);
            checkInvariants();

            Result<Claim> longer = ledger.renew("a", 120);
            assertThat(longer.value().leaseSeconds()).isEqualTo(120);
            assertThat(longer.value().leaseExpiresAt()).isEqualTo(clock.millis() + 120_000);
            clock.advance(Duration.ofSeconds(119));
            assertThat(sweep().expired()).isZero();
            assertThat(claim("a").state()).isEqualTo(ClaimState.GRANTED);
        }

        @Test
        void renewAfterTheDeadlineExpiresAndReturnsTheTokens() {
            submit("a", "acme", bundle(300, 100, "db"));
            assertThat(pass()).containsExactly("a");
            clock.advance(Duration.ofSeconds(LEASE_SECONDS));

            Result<Claim> r = ledger.renew("a", 0);
            assertThat(r.rejection().code()).isEqualTo(Code.LEASE_EXPIRED);
            assertThat(r.value().state()).isEqualTo(ClaimState.EXPIRED);
            checkInvariants();
            Claim c = claim("a");
            assertThat(c.state()).isEqualTo(ClaimState.EXPIRED);
            assertThat(c.returned()).isTrue();
            assertThat(pool("memory@n1").granted()).isZero();
            assertThat(pool("lock:db").granted()).isZero();
            assertThat(ledger.release("a").value().state()).as("released after expiry: unchanged")
                    .isEqualTo(ClaimState.EXPIRED);
            assertThat(sweep()).isEqualTo(new LeaseReaper.Sweep(0, 0, 0));
        }

        @Test
        void renewOfAQueuedClaimOrBeyondTheLongestLeaseIsRefused() {
            submit("a", "acme", bundle(300, 100));
            assertThat(ledger.renew("a", 0).rejection().code()).isEqualTo(Code.WRONG_STATE);
            assertThat(pass()).containsExactly("a");
            Claim before = claim("a");
            assertThat(ledger.renew("a", SETTINGS.maxLeaseSeconds() + 1).rejection().code()).isEqualTo(Code.INVALID);
            assertThat(claim("a")).isEqualTo(before);
        }

        @Test
        void reaperExpiresALeaseAtItsDeadlineAndNotBefore() {
            submit("a", "acme", bundle(800, 100, "db"));
            assertThat(pass()).containsExactly("a");
            submit("b", "acme", bundle(800, 100, "db"));
            assertThat(pass()).isEmpty();
            long deadline = claim("a").leaseExpiresAt();

            clock.advanceMillis(deadline - clock.millis() - 1);
            assertThat(sweep().expired()).isZero();
            assertThat(claim("a").state()).isEqualTo(ClaimState.GRANTED);
            checkInvariants();

            clock.advanceMillis(1);
            LeaseReaper.Sweep s = sweep();
            assertThat(s.expired()).isEqualTo(1);
            checkInvariants();
            Claim a = claim("a");
            assertThat(a.state()).isEqualTo(ClaimState.EXPIRED);
            assertThat(a.returned()).isTrue();
            assertThat(a.endedAt()).isEqualTo(deadline);
            assertThat(pool("memory@n1").granted()).isZero();
            assertThat(pool("lock:db").granted()).isZero();
            assertThat(tenantHolders("acme")).isEmpty();
            assertThat(sweep()).as("a second sweep has nothing to do").isEqualTo(new LeaseReaper.Sweep(0, 0, 0));

            assertThat(pass()).containsExactly("b");
        }

        @Test
        void reaperFinishesReturnsLeftUndoneByAMemberThatDied() {
            submit("a", "acme", bundle(300, 100, "db"));
            assertThat(pass()).containsExactly("a");
            // the member ended the claim and died before returning anything
            assertThat(store.claims().execute("a", new ClaimCommands.Release(clock.millis())).ok()).isTrue();
            assertThat(claim("a").returned()).isFalse();
            assertAuditOk(); // a claim still returning its tokens is not drift

            LeaseReaper.Sweep s = sweep();
            assertThat(s.returned()).isEqualTo(1);
            assertThat(claim("a").returned()).isTrue();
            assertThat(pool("memory@n1").granted()).isZero();
            assertThat(pool("lock:db").granted()).isZero();
        }

        @Test
        void reaperPurgesEndedClaimsAfterTheRetentionTime() {
            submit("a", "acme", bundle(300, 100));
            submit("q", "acme", bundle(900, 100));
            assertThat(pass()).containsExactly("a");
            release("a");
            long endedAt = claim("a").endedAt();

            clock.advanceMillis(SETTINGS.retentionMillis());
            assertThat(sweep().purged()).isZero();
            assertThat(claim("a")).isNotNull();
            clock.advanceMillis(1);
            assertThat(sweep().purged()).isEqualTo(1);
            assertThat(claim("a")).isNull();
            assertThat(claim("q").state()).as("a claim that has not ended is kept").isEqualTo(ClaimState.QUEUED);
            assertThat(clock.millis() - endedAt).isGreaterThan(SETTINGS.retentionMillis());
        }
    }

    // ------------------------------------------------------------------------------------------------ over-commit

    @Nested
    class OverCommit {
        @Test
        void reportBelowWhatIsGrantedKeepsEveryGrantAndBlocksNewOnesUntilUnder() {
            tenant("acme", 4000, 20_000);
            node("n1", 1000, 1000);
            submit("a", "acme", Bundle.of(Map.of("memory", 400L), List.of()));
            submit("b", "acme", Bundle.of(Map.of("memory", 400L), List.of()));
            assertThat(pass()).containsExactlyInAnyOrder("a", "b");

            lowered.add("memory@n1");
            assertThat(ledger.report("n1", Map.of("memory", 300L), Map.of()).ok()).isTrue();
            checkInvariants();
            assertThat(claim("a").state()).isEqualTo(ClaimState.GRANTED);
            assertThat(claim("b").state()).isEqualTo(ClaimState.GRANTED);
            PoolView mem = pool("memory@n1");
            assertThat(mem.capacity()).isEqualTo(300);
            assertThat(mem.granted()).isEqualTo(800);
            assertThat(mem.overcommitted()).isTrue();
            assertThat(mem.free()).isZero();
            assertAuditOk();

            submit("c", "acme", Bundle.of(Map.of("memory", 100L), List.of()));
            submit("d", "acme", Bundle.of(Map.of("disk", 100L), List.of()));
            assertThat(pass()).as("other pools of the node still grant").containsExactly("d");
            assertThat(claim("c").reason()).isEqualTo(Code.OVERCOMMITTED.name());

            release("a");
            assertThat(pool("memory@n1").overcommitted()).as("400 > 300").isTrue();
            assertThat(pass()).isEmpty();
            assertThat(claim("c").state()).isEqualTo(ClaimState.QUEUED);
            assertThat(pool("memory@n1").granted()).isEqualTo(400);

            release("b");
            assertThat(pool("memory@n1").overcommitted()).isFalse();
            assertThat(pass()).containsExactly("c");
            assertThat(pool("memory@n1").granted()).isEqualTo(100);
        }
    }

    // ------------------------------------------------------------------------------------------------ audit

    @Nested
    class Audit {
        @BeforeEach
        void world() {
            tenant("acme", 4000, 20_000);
            node("n1", 1000, 5000);
            lock("db", 2);
            submit("a", "acme", bundle(100, 100, "db"));
            assertThat(pass()).containsExactly("a");
        }

        @Test
        void holdOfAnAbsentClaimIsDrift() {
            assertThat(store.nodes().execute("n1",
                    new HoldFor<NodeState>("ghost", amounts(300, 0), "no node"))).isNull();
            assertThat(pool("memory@n1").granted()).isEqualTo(400);

            Auditor.Report report = auditor.audit();
            assertThat(report.ok()).isFalse();
            assertThat(report.drift()).singleElement().satisfies(d -> {
                assertThat(d.subject()).isEqualTo("memory@n1");
                assertThat(d.recorded()).isEqualTo(400);
                assertThat(d.live()).isEqualTo(100);
                assertThat(d.detail()).contains("ghost");
            });

            assertThat(store.nodes().execute("n1", new ReturnFor<NodeState>("ghost"))).isTrue();
            assertThat(pool("memory@n1").granted()).isEqualTo(100);
            assertThat(nodeHolders("n1")).containsOnlyKeys("a");
            assertAuditOk();
        }

        @Test
        void holdOfAQueuedClaimIsDrift() {
            submit("q", "acme", bundle(100, 100, "db"));
            assertThat(store.locks().execute("db",
                    new HoldFor<LockState>("q", LockState.onePermit(), "no lock"))).isNull();
            assertThat(store.tenants().execute("acme",
                    new HoldFor<TenantState>("q", amounts(100, 100), "no tenant"))).isNull();

            Auditor.Report report = auditor.audit();
            assertThat(report.ok()).isFalse();
            assertThat(report.drift()).extracting(Drift::subject)
                    .contains("lock:db", "tenant:acme")
                    .doesNotContain("memory@n1", "disk@n1");
            assertThat(report.drift()).allSatisfy(d -> assertThat(d.detail()).contains("q"));

            assertThat(store.locks().execute("db", new ReturnFor<LockState>("q"))).isTrue();
            assertThat(store.tenants().execute("acme", new ReturnFor<TenantState>("q"))).isTrue();
            checkInvariants();
            assertAuditOk();
            assertThat(claim("q").state()).isEqualTo(ClaimState.QUEUED);
            assertThat(pass()).containsExactly("q");
        }

        @Test
        void grantedClaimMissingAHoldIsDrift() {
            assertThat(store.nodes().execute("n1", new ReturnFor<NodeState>("a"))).isTrue();
            Auditor.Report report = auditor.audit();
            assertThat(report.ok()).isFalse();
            assertThat(report.drift()).extracting(Drift::subject).contains("memory@n1", "disk@n1");
            assertThat(report.drift()).allSatisfy(d -> {
                assertThat(d.recorded()).isZero();
                assertThat(d.live()).isEqualTo(100);
            });
            release("a");
        }

        @Test
        void listenersSeeEveryChange() {
            ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
            store.claims().listen(c -> seen.add(c.id() + ":" + c.state()));
            submit("b", "acme", bundle(100, 100));
            assertThat(pass()).containsExactly("b");
            release("b");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> seen.containsAll(List.of("b:QUEUED", "b:GRANTED", "b:RELEASED")));
        }
    }

    /** The outboxes of jobs, loans and price alerts, and the filters that find them, on every store. */
    @Nested
    class EventsOfJobsLoansAndAlerts {
        @Test
        void aPriceAlertObservesFiresAndIsPublished() {
            tenant("acme", 1000, 1000);
            node("n1", 1000, 1000);
            PriceAlerts alerts = ledger.alerts();
            assertThat(alerts.create("up", "acme", "memory", PriceAlert.Direction.ABOVE, 10).ok()).isTrue();
            assertThat(alerts.create("d", "acme", "disk", PriceAlert.Direction.ABOVE, 10).ok()).isTrue();
            assertThat(alerts.list("acme")).extracting(PriceAlert::id).containsExactlyInAnyOrder("up", "d");
            ledger.exchange().updateSpot(); // the floor: the first observation
            assertThat(store.alerts().get("up").lastPrice()).isEqualTo(ledger.exchange().spot("memory"));
            clock.advanceMillis(5000);
            assertThat(alerts.observe(new TreeMap<>(Map.of("memory", 11L)))).isEqualTo(1);
            // the engine published the crossing with the batch that observed it
            assertThat(store.events().read(-1, 10)).extracting(l -> l.event().id()).containsExactly("alert:up:0");
            assertThat(alerts.delete("up", "acme").value().state()).isEqualTo(PriceAlert.State.DELETED);
            assertThat(alerts.list("acme")).extracting(PriceAlert::id).containsExactly("d");
        }
    }

    /** Filters over live claims find what a scan finds, as claims are queued, granted, released and settled. */
    @Nested
    class LiveClaimFilters {
        @Test
        void liveOnlyFiltersFindExactlyWhatAScanOfEveryClaimFinds() {
            tenant("acme", 10_000, 10_000);
            node("n1", 100, 100);
            for (int i = 0; i < 12; i++) {
                submit("c" + i, "acme", bundle(30, 10));
            }
            assertSameAsScan();
            assertThat(pass()).hasSize(3);
            assertSameAsScan();
            release("c0");
            ledger.cancel("c5");
            assertSameAsScan(); // ended, tokens maybe not yet back: live for ReturnsPending
            sweep();
            assertSameAsScan(); // settled now: no live filter may pass them
            clock.advanceMillis((LEASE_SECONDS + 1) * 1000);
            assertSameAsScan(); // leases due
            sweep();
            pass();
            assertSameAsScan();
            assertThat(store.claims().values(new ClaimFilters.ClaimIn(Set.of(ClaimState.QUEUED))))
                    .as("what is still queued").isNotEmpty();
        }

        private void assertSameAsScan() {
            List<Table.Filter<Claim>> filters = List.of(new ClaimFilters.ClaimIn(Set.of(ClaimState.QUEUED)),
                    new ClaimFilters.ClaimIn(Set.of(ClaimState.GRANTED)),
                    new ClaimFilters.ClaimIn(Set.of(ClaimState.RELEASED, ClaimState.CANCELLED, ClaimState.EXPIRED)),
                    new ClaimFilters.ReturnsPending(), new ClaimFilters.LeaseDue(clock.millis()));
            for (Table.Filter<Claim> f : filters) {
                Set<String> scanned = new HashSet<>();
                store.claims().entries().values().forEach(c -> {
                    if (f.test(c)) {
                        scanned.add(c.id());
                    }
                    if (f.skipsSettled()) {
                        assertThat(f.test(c) && c.settled()).as("%s passes settled %s", f, c.id()).isFalse();
                    }
                });
                assertThat(store.claims().values(f)).as("%s", f).extracting(Claim::id)
                        .containsExactlyInAnyOrderElementsOf(scanned);
            }
        }
    }
}
