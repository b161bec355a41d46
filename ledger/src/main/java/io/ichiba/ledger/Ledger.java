package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimCommands;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.Accounts;
import io.ichiba.ledger.job.JobFilters;
import io.ichiba.ledger.market.Loan;
import io.ichiba.ledger.market.MarketCommands;
import io.ichiba.ledger.market.MarketSettings;
import io.ichiba.ledger.pool.AgentRecord;
import io.ichiba.ledger.pool.Amounts;
import io.ichiba.ledger.pool.Holdings;
import io.ichiba.ledger.pool.KindDef;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.PlaceCommands;
import io.ichiba.ledger.pool.PlaceCommands.CreateIfAbsent;
import io.ichiba.ledger.pool.PlaceCommands.CreateNew;
import io.ichiba.ledger.pool.PlaceCommands.ReturnFor;
import io.ichiba.ledger.pool.PoolView;
import io.ichiba.ledger.reservation.ReservationFilters;
import io.ichiba.ledger.reservation.ReservationSettings;
import io.ichiba.ledger.store.Operation;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.tenant.Principal;
import io.ichiba.ledger.tenant.TenantLimits;
import io.ichiba.ledger.tenant.TenantState;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The ledger's operations on a {@link Store}: define tenants, kinds, locks and nodes; submit, renew, release
 * and cancel claims; read pools and claims.
 *
 * <p>Grants are not made here but by the single {@link Admission} loop. Every return of tokens goes
 * through {@link #returnTokens}, which is idempotent by claim id and may run on any member.
 */
public final class Ledger implements Accounts.Host {
    /** Names of tenants, nodes, locks and kinds: no {@code /}, {@code @} or {@code :}, so pool ids stay parseable. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    private final Store store;
    private final Clock clock;
    private final LedgerSettings settings;
    private final Accounts accounts;
    private final Exchange exchange;
    private final Reservations reservations;
    private final PriceAlerts alerts;
    private volatile Intake intake;

    /** Creates the ledger over {@code store}, reading time from {@code clock}, with the default market settings. */
    public Ledger(Store store, Clock clock, LedgerSettings settings) {
        this(store, clock, settings, MarketSettings.defaults());
    }

    /** Creates the ledger over {@code store}, reading time from {@code clock}. */
    public Ledger(Store store, Clock clock, LedgerSettings settings, MarketSettings market) {
        this(store, clock, settings, market, ReservationSettings.defaults());
    }

    /** Creates the ledger over {@code store}, reading time from {@code clock}. */
    public Ledger(Store store, Clock clock, LedgerSettings settings, MarketSettings market,
                  ReservationSettings reservationSettings) {
        this.store = store;
        this.clock = store.clock(clock);
        this.settings = settings;
        this.accounts = new Accounts(store, this.clock, this);
        this.exchange = new Exchange(this, market);
        this.reservations = new Reservations(this, reservationSettings);
        this.alerts = new PriceAlerts(this);
        store.bind(this);
    }

    /**
     * Runs {@code op} as one change of the store: on the engine's member, wherever it runs, against that member's
     * ledger ({@link Operation}). {@code op} captures its arguments only, and reaches the rest through the ledger.
     */
    public <R> R atomically(Operation<Ledger, R> op) {
        return store.atomically(this, op);
    }

    /** Returns the advance reservations. */
    public Reservations reservations() {
        return reservations;
    }

    /** Returns the tenants' price alerts. */
    public PriceAlerts alerts() {
        return alerts;
    }

    /** Returns the market. */
    public Exchange exchange() {
        return exchange;
    }

    /** Returns the credit accounts and their journal. */
    public Accounts accounts() {
        return accounts;
    }

    /** Returns the store. */
    public Store store() {
        return store;
    }

    /** Returns the clock. */
    public Clock clock() {
        return clock;
    }

    /** Returns the settings. */
    public LedgerSettings settings() {
        return settings;
    }

    // ---------------------------------------------------------------- definitions

    /** Returns every node-local kind: the built-in ones and those the operator defined. */
    public Set<String> kinds() {
        TreeSet<String> all = new TreeSet<>(KindDef.BUILT_IN);
        all.addAll(store.kinds().entries().keySet());
        return all;
    }

    /**
     * Whether {@code kind} is a node-local kind, built in or defined. Reads one key: {@link #kinds} reads the whole
     * table, which on Hazelcast is a query over every partition, too dear for every claim (bench/, issue 7).
     */
    public boolean isKind(String kind) {
        return KindDef.BUILT_IN.contains(kind) || store.kinds().get(kind) != null;
    }

    /** Defines a node-local kind; a kind that exists is a conflict. */
    public Result<KindDef> defineKind(String name, String unit) {
        return atomically(l -> l.defineKindNow(name, unit)); // sent once under its id: a retry is not a conflict
    }

    private Result<KindDef> defineKindNow(String name, String unit) {
        Rejection bad = checkName("kind", name);
        if (bad != null) {
            return Result.rejected(bad);
        }
        if (KindDef.BUILT_IN.contains(name) || LockState.KIND.equals(name)) {
            return Result.rejected(Rejection.Code.ALREADY_EXISTS, "kind " + name + " is built in");
        }
        KindDef def = new KindDef(name, unit == null ? "units" : unit, clock.millis());
        boolean created = store.kinds().execute(name, new CreateNew<>(def));
        return created ? Result.ok(def)
                : Result.rejected(Rejection.Code.ALREADY_EXISTS, "kind " + name + " already exists");
    }

    /** Creates a tenant with its quota and its credit account (balance 0, no credit); an existing id is a conflict. */
    public Result<TenantState> createTenant(String id, Map<String, Long> quota) {
        return atomically(l -> l.createTenantNow(id, quota));
    }

    private Result<TenantState> createTenantNow(String id, Map<String, Long> quota) {
        Rejection bad = checkName("tenant", id);
        if (bad == null && RESERVED_TENANT_NAMES.contains(id.toLowerCase(java.util.Locale.ROOT))) {
            bad = Rejection.of(Rejection.Code.INVALID, "tenant name '" + id + "' is reserved (as are "
                    + String.join(", ", new java.util.TreeSet<>(RESERVED_TENANT_NAMES)) + ", in any case)");
        }
        if (bad == null) {
            bad = checkKinds(quota.keySet(), "quota");
        }
        if (bad != null) {
            return Result.rejected(bad);
        }
        TenantState t = new TenantState(id, Amounts.of(quota), Holdings.empty(), clock.millis());
        boolean created = store.tenants().execute(id, new CreateNew<>(t));
        if (!created) {
            return Result.rejected(Rejection.Code.ALREADY_EXISTS, "tenant " + id + " already exists");
        }
        accounts.open(id);
        return Result.ok(t);
    }

    /**
     * Registers the agent of {@code node} under the hash of its token and makes the token valid; a node that
     * has an agent already is a conflict. The agent record is written first, so a second registration for
     * the node never creates a second valid token.
     */
    public Result<AgentRecord> registerAgent(String node, String tokenHash) {
        return atomically(l -> l.registerAgentNow(node, tokenHash));
    }

    private Result<AgentRecord> registerAgentNow(String node, String tokenHash) {
        Rejection bad = checkName("node", node);
        if (bad != null) {
            return Result.rejected(bad);
        }
        AgentRecord a = new AgentRecord(node, tokenHash, clock.millis());
        AgentRecord stored = store.agents().execute(node, new CreateIfAbsent<>(a));
        if (!stored.tokenHash().equals(tokenHash)) {
            return Result.rejected(Rejection.Code.ALREADY_EXISTS, "node " + node + " has an agent already");
        }
        store.principals().execute(tokenHash, new CreateIfAbsent<>(
                new Principal(Principal.Role.AGENT, node, a.createdAt())));
        return Result.ok(stored);
    }

    /**
     * Creates a tenant's token: makes {@code tokenHash} stand for tenant {@code id}. Idempotent for the same hash.
     */
    public void issueTenantToken(String id, String tokenHash) {
        store.principals().execute(tokenHash, new CreateIfAbsent<>(
                new Principal(Principal.Role.TENANT, id, clock.millis())));
    }

    /** Adds {@code action} to the audit trail (its id is new: the same action again changes nothing). */
    public void recordAction(io.ichiba.ledger.audit.OperatorAction action) {
        store.actions().execute(action.id(), new CreateIfAbsent<>(action));
    }

    /**
     * The audit trail's actions after the id {@code after} ({@code null}: from the first), oldest first, at most
     * {@code limit}.
     */
    public List<io.ichiba.ledger.audit.OperatorAction> actions(String after, int limit) {
        java.util.TreeMap<String, io.ichiba.ledger.audit.OperatorAction> all = new java.util.TreeMap<>(
                store.actions().entries());
        return (after == null ? all : all.tailMap(after, false)).values().stream().limit(limit).toList();
    }

    /**
     * Gives tenant {@code id} the token of hash {@code tokenHash} and revokes every other token it had, in one change.
     * Answers the hashes revoked (for the members' caches), or {@code NOT_FOUND}.
     */
    public Result<List<String>> rotateTenantToken(String id, String tokenHash) {
        return atomically(l -> l.rotateTenantTokenNow(id, tokenHash));
    }

    private Result<List<String>> rotateTenantTokenNow(String id, String tokenHash) {
        if (store.tenants().get(id) == null) {
            return Result.rejected(Rejection.Code.NOT_FOUND, "no tenant " + id);
        }
        List<String> revoked = new ArrayList<>();
        store.principals().entries().forEach((hash, p) -> {
            if (p.role() == Principal.Role.TENANT && p.subject().equals(id) && !hash.equals(tokenHash)) {
                revoked.add(hash);
            }
        });
        revoked.forEach(hash -> store.principals().execute(hash, new io.ichiba.ledger.handler.HandlerCommands.Remove<>()));
        store.principals().execute(tokenHash, new CreateIfAbsent<>(
                new Principal(Principal.Role.TENANT, id, clock.millis())));
        return Result.ok(List.copyOf(revoked));
    }

    /**
     * Gives the agent of {@code node} the token of hash {@code tokenHash} and revokes its old one, in one change.
     * Answers the hash revoked (for the members' caches), or {@code NOT_FOUND} if the node has no agent.
     */
    public Result<List<String>> rotateAgentToken(String node, String tokenHash) {
        return atomically(l -> l.rotateAgentTokenNow(node, tokenHash));
    }

    private Result<List<String>> rotateAgentTokenNow(String node, String tokenHash) {
        AgentRecord a = store.agents().get(node);
        if (a == null) {
            return Result.rejected(Rejection.Code.NOT_FOUND, "node " + node + " has no agent");
        }
        if (a.tokenHash().equals(tokenHash)) {
            return Result.ok(List.of());
        }
        store.principals().execute(a.tokenHash(), new io.ichiba.ledger.handler.HandlerCommands.Remove<>());
        store.agents().execute(node, new io.ichiba.ledger.handler.HandlerCommands.Remove<>());
        store.agents().execute(node, new CreateIfAbsent<>(new AgentRecord(node, tokenHash, a.createdAt())));
        store.principals().execute(tokenHash, new CreateIfAbsent<>(
                new Principal(Principal.Role.AGENT, node, clock.millis())));
        return Result.ok(List.of(a.tokenHash()));
    }

    /**
     * Sets the most {@code tenant} may lend and offer of each kind at once (the whole map is replaced; a kind
     * absent has no limit beyond the tenant's quota). What is lent already stays lent.
     */
    public Result<TenantState> setLendingLimit(String tenant, Map<String, Long> limit) {
        Rejection bad = checkLendingLimit(limit);
        if (bad != null) {
            return Result.rejected(bad);
        }
        TenantState t = store.tenants().execute(tenant, new MarketCommands.SetLendingLimit(Amounts.copyOf(limit)));
        return t == null ? Result.rejected(Rejection.Code.NOT_FOUND, "no tenant " + tenant) : Result.ok(t);
    }

    /**
     * Sets a tenant's credit limit, its lending limit, or both, in one change: both or neither ({@code null} leaves
     * one as it is). Refused with {@code NOT_FOUND}, {@code INVALID}, or {@code INSUFFICIENT_CREDIT} when the tenant
     * owes more than the credit limit asked for.
     */
    public Result<TenantState> setLimits(String tenant, Long creditLimit, Map<String, Long> lendingLimit) {
        return setLimits(tenant, creditLimit, lendingLimit, null);
    }

    /**
     * As {@link #setLimits(String, Long, Map)}, and the operator's own {@link TenantLimits} for the tenant
     * ({@code tenantLimits}: by name, replacing the whole map; a name absent takes the broker's; {@code null} leaves
     * them as they are). A tenant already past a lowered limit keeps what it has and gets nothing new until it is
     * below.
     */
    public Result<TenantState> setLimits(String tenant, Long creditLimit, Map<String, Long> lendingLimit,
                                         Map<String, Long> tenantLimits) {
        java.util.SortedMap<String, Long> own = tenantLimits == null ? null : new java.util.TreeMap<>(tenantLimits);
        return atomically(l -> l.setLimitsNow(tenant, creditLimit, lendingLimit, own));
    }

    private Result<TenantState> setLimitsNow(String tenant, Long creditLimit, Map<String, Long> lendingLimit,
                                             java.util.SortedMap<String, Long> tenantLimits) {
        if (store.tenants().get(tenant) == null) {
            return Result.rejected(Rejection.Code.NOT_FOUND, "no tenant " + tenant);
        }
        Rejection bad = lendingLimit == null ? null : checkLendingLimit(lendingLimit);
        String badLimits = TenantLimits.invalid(tenantLimits);
        if (bad == null && badLimits != null) {
            bad = Rejection.of(Rejection.Code.INVALID, badLimits);
        }
        if (bad != null) {
            return Result.rejected(bad);
        }
        if (creditLimit != null) {
            Result<Account> r = accounts.setCreditLimit(tenant, creditLimit);
            if (!r.ok()) {
                return Result.rejected(r.rejection());
            }
        }
        if (lendingLimit != null) {
            Result<TenantState> r = setLendingLimit(tenant, lendingLimit);
            if (!r.ok()) {
                return r;
            }
        }
        if (tenantLimits != null) {
            store.tenants().execute(tenant, new MarketCommands.SetTenantLimits(tenantLimits));
        }
        return Result.ok(store.tenants().get(tenant));
    }

    /** Why {@code limit} cannot be a lending limit (an unknown kind, an amount out of range), or {@code null}. */
    private Rejection checkLendingLimit(Map<String, Long> limit) {
        Rejection bad = checkKinds(limit.keySet(), "lendingLimit");
        return bad != null ? bad : checkAmounts(limit, "lendingLimit");
    }

    /** Creates a cluster-wide lock with {@code permits} permits; an existing name is a conflict. */
    public Result<LockState> createLock(String name, long permits) {
        return atomically(l -> l.createLockNow(name, permits)); // sent once under its id: a retry is not a conflict
    }

    private Result<LockState> createLockNow(String name, long permits) {
        Rejection bad = checkName("lock", name);
        if (bad != null) {
            return Result.rejected(bad);
        }
        LockState l = new LockState(name, permits, Holdings.empty());
        boolean created = store.locks().execute(name, new CreateNew<>(l));
        return created ? Result.ok(l)
                : Result.rejected(Rejection.Code.ALREADY_EXISTS, "lock " + name + " already exists");
    }

    /**
     * Applies an agent's report: the capacity of each reported kind becomes its allocatable amount. A capacity
     * below what is granted leaves every grant in place and marks the pool over-committed.
     */
    public Result<NodeState> report(String node, Map<String, Long> allocatable, Map<String, Long> free) {
        Rejection bad = checkName("node", node);
        if (bad == null) {
            bad = checkKinds(allocatable.keySet(), "allocatable");
        }
        if (bad == null) {
            bad = checkKinds(free.keySet(), "free");
        }
        if (bad == null) {
            bad = checkAmounts(allocatable, "allocatable");
        }
        if (bad == null) {
            bad = checkAmounts(free, "free");
        }
        if (bad != null) {
            return Result.rejected(bad);
        }
        SortedMap<String, Long> alloc = new java.util.TreeMap<>(allocatable);
        return Result.ok(store.nodes().execute(node,
                new PlaceCommands.Report(node, alloc, Amounts.of(free), clock.millis())));
    }

    // ---------------------------------------------------------------- claims

    /**
     * Validates, funds and queues a claim. A claim that can never fit — larger than any node's capacity, or (funded
     * by quota alone) than the tenant's whole quota — is refused with {@code NEVER_FITS}; one whose purchase the
     * tenant cannot pay for now, or whose bids it cannot put up, with {@code INSUFFICIENT_CREDIT}. Submitting the
     * same id again answers the claim as stored (the id is derived from the idempotency key when there is one).
     */
    public Result<Claim> submit(ClaimRequest r) {
        return atomically(l -> l.admitted(l.submitNow(r)));
    }

    /**
     * What a claim's intake does after its submission, on the member where the submission runs (the engine's): the
     * broker's admission loop looks at the claim at once ({@code Admission#admit}), so that a claim that fits is
     * granted by its own request, whichever member it was sent to. It runs inside the submission's operation, so on
     * the engine's thread: it must not wait for anything.
     */
    @FunctionalInterface
    public interface Intake {
        /** Answers {@code queued}, just submitted, as it is after its admission. */
        Claim admit(Claim queued);
    }

    /**
     * Sets what follows each submission that leaves its claim {@code QUEUED} (none by default: the claim waits for
     * the admission loop). The ledger of the member that runs the submission is the one whose intake runs.
     */
    public void admitOnIntake(Intake intake) {
        this.intake = intake;
    }

    private Result<Claim> admitted(Result<Claim> submitted) {
        Intake in = intake;
        if (in == null || !submitted.ok() || submitted.value().state() != ClaimState.QUEUED) {
            return submitted;
        }
        return Result.ok(in.admit(submitted.value()));
    }

    private Result<Claim> submitNow(ClaimRequest r) {
        String id = r.id();
        String tenant = r.tenant();
        Bundle bundle = r.bundle();
        int priority = r.priority();
        long leaseSeconds = r.leaseSeconds();
        String requestedNode = r.requestedNode();
        Funding funding = r.funding();
        Claim existing = store.claims().get(id);
        if (existing != null) {
            return existing.tenant().equals(tenant) ? Result.ok(existing)
                    : Result.rejected(Rejection.Code.ALREADY_EXISTS, "claim id " + id + " is taken");
        }
        Rejection bad = validate(tenant, bundle, leaseSeconds, requestedNode, funding);
        if (bad == null) {
            bad = checkClaimLimits(tenant);
        }
        if (bad == null) {
            bad = exchange.funding().fund(id, tenant, bundle, leaseSeconds, funding);
        }
        if (bad != null) {
            return Result.rejected(bad);
        }
        Claim c = Claim.queued(id, tenant, bundle, priority, leaseSeconds, requestedNode, clock.millis(), funding);
        return Result.ok(store.claims().execute(id, new CreateIfAbsent<>(c)));
    }

    /**
     * Checks a claim before it is queued: lease in range, tenant, kinds, locks and node known, and a bundle that
     * could ever fit. Returns {@code null} when it may be queued.
     */
    public Rejection validate(String tenant, Bundle bundle, long leaseSeconds, String requestedNode) {
        return validate(tenant, bundle, leaseSeconds, requestedNode, Funding.QUOTA_ONLY);
    }

    /** As {@link #validate(String, Bundle, long, String)}; a claim that may buy or borrow may exceed its quota. */
    public Rejection validate(String tenant, Bundle bundle, long leaseSeconds, String requestedNode, Funding funding) {
        if (leaseSeconds < 1 || leaseSeconds > settings.maxLeaseSeconds()) {
            return Rejection.of(Rejection.Code.INVALID, "leaseSeconds must be between 1 and "
                    + settings.maxLeaseSeconds());
        }
        TenantState t = store.tenants().get(tenant);
        if (t == null) {
            return Rejection.of(Rejection.Code.NOT_FOUND, "no tenant " + tenant);
        }
        Rejection bad = checkKinds(bundle.amounts().keySet(), "bundle");
        return bad != null ? bad : checkFits(t, bundle, requestedNode, funding.mode() == Funding.Mode.QUOTA);
    }

    private Rejection checkFits(TenantState t, Bundle bundle, String requestedNode, boolean quotaOnly) {
        for (String lock : bundle.locks()) {
            if (store.locks().get(lock) == null) {
                return Rejection.of(Rejection.Code.NO_SUCH_LOCK, "no lock named " + lock);
            }
        }
        for (var e : bundle.amounts().entrySet()) {
            long whole = Math.addExact(t.quota(e.getKey()), t.borrowed(e.getKey()));
            if (quotaOnly && e.getValue() > whole) {
                return Rejection.of(Rejection.Code.NEVER_FITS, "bundle." + e.getKey() + " = " + e.getValue()
                        + " exceeds tenant " + t.id() + "'s whole quota of " + whole + " (own "
                        + t.quota(e.getKey()) + ", borrowed " + t.borrowed(e.getKey()) + ")");
            }
        }
        if (!bundle.nodeLocal()) {
            return null;
        }
        if (requestedNode != null) {
            NodeState n = store.nodes().get(requestedNode);
            if (n == null) {
                return Rejection.of(Rejection.Code.NO_SUCH_NODE, "no node " + requestedNode + " has reported");
            }
            return new ClaimFilters.FitsCapacity(bundle).test(n) ? null : Rejection.of(Rejection.Code.NEVER_FITS,
                    "the bundle is larger than node " + requestedNode + "'s capacity " + n.capacity());
        }
        // Asked where the nodes live: copying every node out of the cluster for each claim cost more than the
        // rest of a submit with a few thousand nodes (bench/, issue 7).
        return store.nodes().any(new ClaimFilters.FitsCapacity(bundle)) ? null
                : Rejection.of(Rejection.Code.NEVER_FITS, "the bundle is larger than every node's capacity");
    }

    // ---------------------------------------------------------------- tenant limits

    /** {@code tenant}'s limits: the broker's, with those the operator set for it over them. */
    public TenantLimits limits(TenantState tenant) {
        return tenant.limits(settings.limits());
    }

    /**
     * How many of each thing {@code tenant} has that its limits count, by limit name ({@link TenantLimits#NAMES}),
     * or {@code null} for an unknown tenant. Counted from the engine's indexes, in one command.
     */
    public java.util.SortedMap<String, Long> limitUsage(String tenant) {
        return atomically(l -> l.store.tenants().get(tenant) == null ? null : l.usageNow(tenant));
    }

    private java.util.SortedMap<String, Long> usageNow(String tenant) {
        java.util.SortedMap<String, Long> out = new java.util.TreeMap<>();
        for (String limit : TenantLimits.NAMES) {
            out.put(limit, (long) count(tenant, limit));
        }
        return out;
    }

    /** How many of what limit {@code limit} counts {@code tenant} has, from the indexes (and each book's counts). */
    private int count(String tenant, String limit) {
        return switch (limit) {
            case "liveClaims" -> store.claims().count(new ClaimFilters.LiveClaimsOf(tenant));
            case "queuedClaims" -> store.claims().count(new ClaimFilters.ClaimsOf(tenant, ClaimState.QUEUED));
            case "openJobs" -> store.jobs().count(new JobFilters.OpenJobsOf(tenant));
            case "openOrders" -> exchange.openOrderCount(tenant);
            case "reservations" -> store.reservations().count(new ReservationFilters.LiveReservationsOf(tenant));
            default -> throw new IllegalArgumentException("no tenant limit " + limit);
        };
    }

    /** Why {@code tenant} may not have one more claim now ({@code TENANT_LIMIT}), or {@code null}. */
    Rejection checkClaimLimits(String tenant) {
        Rejection r = checkLimit(tenant, "liveClaims", "claims not ended", "release or cancel some first");
        return r != null ? r : checkLimit(tenant, "queuedClaims", "queued claims",
                "wait until some are granted, or cancel some");
    }

    /** Why {@code tenant} may not have one more job now, or {@code null}. */
    Rejection checkJobLimit(String tenant) {
        return checkLimit(tenant, "openJobs", "jobs not ended", "wait until some end, or cancel some");
    }

    /** Why {@code tenant} may not place one more order now, or {@code null}. */
    Rejection checkOrderLimit(String tenant) {
        return checkLimit(tenant, "openOrders", "market orders not ended",
                "cancel some, or wait until they fill or expire");
    }

    /** Why {@code tenant} may not book one more reservation now, or {@code null}. */
    Rejection checkReservationLimit(String tenant) {
        return checkLimit(tenant, "reservations", "reservations not ended",
                "cancel some, or wait until their windows close");
    }

    /** {@code TENANT_LIMIT} if {@code tenant} has as many as its limit {@code name} allows (counted only if any). */
    private Rejection checkLimit(String tenant, String name, String what, String then) {
        TenantState t = store.tenants().get(tenant);
        long max = t == null ? Long.MAX_VALUE : limits(t).of(name);
        if (max == Long.MAX_VALUE) {
            return null;
        }
        int n = count(tenant, name);
        return n >= max ? Rejection.overLimit(tenant, name, max, n, what, then) : null;
    }

    /** Extends a granted claim's lease by {@code seconds} from now (its own lease length if 0). */
    public Result<Claim> renew(String id, long seconds) {
        return atomically(l -> l.renewNow(id, seconds));
    }

    private Result<Claim> renewNow(String id, long seconds) {
        Claim c = store.claims().get(id);
        if (c == null) {
            return Result.rejected(Rejection.Code.NOT_FOUND, "no claim " + id);
        }
        long s = seconds > 0 ? seconds : c.leaseSeconds();
        if (s > settings.maxLeaseSeconds()) {
            return Result.rejected(Rejection.Code.INVALID, "leaseSeconds must be at most " + settings.maxLeaseSeconds());
        }
        ClaimCommands.Transition t = store.claims().execute(id, new ClaimCommands.Renew(s, clock.millis()));
        if (t.claim() != null && t.claim().state() == ClaimState.EXPIRED && !t.claim().returned()) {
            returnTokens(t.claim());
        }
        return new Result<>(t.claim(), t.rejection());
    }

    /** Releases a granted claim and returns its tokens; releasing an ended claim answers it unchanged. */
    public Result<Claim> release(String id) {
        return end(id, new ClaimCommands.Release(clock.millis()));
    }

    /** Cancels a queued or granted claim (and returns its tokens); cancelling an ended claim answers it unchanged. */
    public Result<Claim> cancel(String id) {
        return end(id, new ClaimCommands.Cancel(clock.millis()));
    }

    private Result<Claim> end(String id, io.ichiba.ledger.Command<Claim, ClaimCommands.Transition> command) {
        return atomically(l -> l.endNow(id, command));
    }

    private Result<Claim> endNow(String id, Command<Claim, ClaimCommands.Transition> command) {
        ClaimCommands.Transition t = store.claims().execute(id, command);
        if (t.claim() != null && t.claim().state().isFinal() && !t.claim().returned()) {
            return Result.ok(returnTokens(t.claim()));
        }
        return new Result<>(t.claim(), t.rejection());
    }

    /**
     * Returns every hold of an ended claim — tenant quota, node pools, locks — and marks it returned.
     * Idempotent: holds are removed by claim id, so a second run returns nothing again.
     */
    public Claim returnTokens(Claim c) {
        if (c.bundle().nodeLocal()) {
            store.tenants().execute(c.tenant(), new ReturnFor<TenantState>(c.id()));
            if (c.node() != null) {
                store.nodes().execute(c.node(), new ReturnFor<NodeState>(c.id()));
            }
        }
        for (String lock : c.bundle().locks()) {
            store.locks().execute(lock, new ReturnFor<LockState>(c.id()));
        }
        ClaimCommands.Transition t = store.claims().execute(c.id(), new ClaimCommands.MarkReturned());
        return t.claim() != null ? t.claim() : c;
    }

    /** Returns the claim, or {@code null}. */
    public Claim claim(String id) {
        return store.claims().get(id);
    }

    /** Returns the claims of {@code tenant} (every tenant's if {@code null}) in a visible state, oldest first. */
    public List<Claim> claims(String tenant, ClaimState state) {
        List<Claim> out = new ArrayList<>(store.claims().values(new ClaimFilters.ClaimsOf(tenant, state)));
        out.sort(Comparator.comparingLong(Claim::createdAt).thenComparing(Claim::id));
        return out;
    }

    // ---------------------------------------------------------------- pools

    /** Returns every pool: each node's kinds, then each lock, sorted by id. */
    public List<PoolView> pools() {
        List<PoolView> out = new ArrayList<>();
        store.nodes().entries().values().forEach(n -> out.addAll(PoolView.of(n)));
        store.locks().entries().values().forEach(l -> out.add(PoolView.of(l)));
        out.sort(Comparator.comparing(PoolView::id));
        return out;
    }

    /** Returns one pool by id ({@code kind@node} or {@code lock:name}), or {@code null}. */
    public PoolView pool(String id) {
        if (id.startsWith("lock:")) {
            LockState l = store.locks().get(id.substring(5));
            return l == null ? null : PoolView.of(l);
        }
        int at = id.indexOf('@');
        if (at <= 0) {
            return null;
        }
        NodeState n = store.nodes().get(id.substring(at + 1));
        if (n == null) {
            return null;
        }
        return PoolView.of(n).stream().filter(p -> p.id().equals(id)).findFirst().orElse(null);
    }

    // ---------------------------------------------------------------- checks

    /**
     * Names no tenant may take, in any case (issue 14): the house and the ledger's own accounts, the operator, and
     * words a client or a log could confuse with no tenant at all (an operator's handler, whose tenant is none, was
     * told apart from a tenant named {@code null} by nothing).
     */
    public static final Set<String> RESERVED_TENANT_NAMES = Set.of(Loan.HOUSE, Account.ESCROW, Account.ISSUE,
            "operator", "agent", "system", "null", "none", "undefined");

    private static Rejection checkName(String what, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            return Rejection.of(Rejection.Code.INVALID, what + " name '" + name
                    + "' must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return null;
    }

    /** A reported amount must be in {@code [0, MAX_AMOUNT]}: a negative capacity would be stored as it is. */
    private static Rejection checkAmounts(Map<String, Long> amounts, String where) {
        for (var e : amounts.entrySet()) {
            Long v = e.getValue();
            if (v == null || v < 0 || v > Amounts.MAX_AMOUNT) {
                return Rejection.of(Rejection.Code.INVALID, where + "." + e.getKey() + " must be between 0 and "
                        + Amounts.MAX_AMOUNT + ", was " + v);
            }
        }
        return null;
    }

    private Rejection checkKinds(Set<String> named, String where) {
        for (String k : named) {
            if (!isKind(k)) {
                return Rejection.of(Rejection.Code.UNKNOWN_KIND, where + " names unknown kind '" + k
                        + "'; known kinds: " + kinds());
            }
        }
        return null;
    }
}
