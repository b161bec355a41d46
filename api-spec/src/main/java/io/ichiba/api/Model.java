package io.ichiba.api;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The wire records of the API, as {@code api-spec/openapi.yaml} describes them. */
public final class Model {
    private Model() {
    }

    /**
     * What a claim asks for: node-local kinds to amounts (on one node) and cluster-wide locks.
     * On the wire the kinds are properties beside {@code locks}: {@code {"memory":4096,"locks":["db"]}}.
     */
    public static final class Bundle {
        private final Map<String, Long> amounts = new TreeMap<>();
        private List<String> locks = List.of();

        /** Creates a bundle. */
        public static Bundle of(Map<String, Long> amounts, List<String> locks) {
            Bundle b = new Bundle();
            b.amounts.putAll(amounts);
            b.locks = locks == null ? List.of() : List.copyOf(locks);
            return b;
        }

        /**
         * Starts a bundle built step by step: {@code Bundle.builder().memory(4096).disk(1024).lock("db").build()}.
         */
        public static Builder builder() {
            return new Builder();
        }

        /** The node-local amounts. */
        @JsonAnyGetter
        public Map<String, Long> amounts() {
            return amounts;
        }

        @JsonAnySetter
        void set(String kind, long amount) {
            amounts.put(kind, amount);
        }

        /** The locks, one permit each. */
        @JsonProperty("locks")
        public List<String> locks() {
            return locks.isEmpty() ? null : locks;
        }

        @JsonProperty("locks")
        void locks(List<String> names) {
            locks = names == null ? List.of() : List.copyOf(names);
        }

        /** The locks, never {@code null}. */
        @JsonIgnore
        public List<String> lockNames() {
            return locks;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bundle b && b.amounts.equals(amounts) && b.locks.equals(locks);
        }

        @Override
        public int hashCode() {
            return amounts.hashCode() * 31 + locks.hashCode();
        }

        @Override
        public String toString() {
            return "Bundle" + amounts + locks;
        }

        /** Builds a {@link Bundle}: amounts of node-local kinds (MiB for memory and disk) and lock names. */
        public static final class Builder {
            private final Map<String, Long> amounts = new TreeMap<>();
            private final List<String> locks = new java.util.ArrayList<>();

            private Builder() {
            }

            /** Asks for {@code mib} MiB of memory on the node. */
            public Builder memory(long mib) {
                return amount("memory", mib);
            }

            /** Asks for {@code mib} MiB of disk on the node. */
            public Builder disk(long mib) {
                return amount("disk", mib);
            }

            /**
             * Asks for {@code amount} of a node-local kind (e.g. an operator-defined {@code gpu}); naming a kind
             * again replaces its amount.
             *
             * @throws IllegalArgumentException when the kind is empty or the amount is not positive
             */
            public Builder amount(String kind, long amount) {
                if (kind == null || kind.isEmpty()) {
                    throw new IllegalArgumentException("kind must not be empty");
                }
                if (amount < 1) {
                    throw new IllegalArgumentException(kind + " must be at least 1, was " + amount);
                }
                amounts.put(kind, amount);
                return this;
            }

            /** Asks for one permit of the cluster-wide lock {@code name}. */
            public Builder lock(String name) {
                if (name == null || name.isEmpty()) {
                    throw new IllegalArgumentException("lock name must not be empty");
                }
                locks.add(name);
                return this;
            }

            /** The bundle. */
            public Bundle build() {
                return Bundle.of(amounts, locks);
            }
        }
    }

    /** A claim's state as clients see it. */
    public enum ClaimState { QUEUED, GRANTED, RELEASED, CANCELLED, EXPIRED, LOST, PREEMPTED }

    /** {@code POST /v1/claims}. */
    public record ClaimCreate(Bundle bundle, Integer priority, Long leaseSeconds, String node, Funding funding) {
        /** A claim funded by own and borrowed quota. */
        public ClaimCreate(Bundle bundle, Integer priority, Long leaseSeconds, String node) {
            this(bundle, priority, leaseSeconds, node, null);
        }
    }

    /**
     * How a claim may be paid for: {@code mode} QUOTA, BORROW or BUY; {@code maxPrice} per unit-hour; {@code urgent}.
     */
    public record Funding(String mode, Long maxPrice, Boolean urgent) {
    }

    /** A claim. */
    public record Claim(String id, String tenant, ClaimState state, String reason, String node, Bundle bundle,
                        int priority, long leaseSeconds, Instant createdAt, Instant grantedAt,
                        Instant leaseExpiresAt, Instant endedAt, Instant preemptAt, Funding funding,
                        String reservation) {
        /** A claim that is no reservation's copy. */
        public Claim(String id, String tenant, ClaimState state, String reason, String node, Bundle bundle,
                     int priority, long leaseSeconds, Instant createdAt, Instant grantedAt,
                     Instant leaseExpiresAt, Instant endedAt, Instant preemptAt, Funding funding) {
            this(id, tenant, state, reason, node, bundle, priority, leaseSeconds, createdAt, grantedAt, leaseExpiresAt,
                    endedAt, preemptAt, funding, null);
        }
    }

    /** The caller's own claims by id, and other tenants' as a count. */
    public record Counted(List<String> own, int others) {
    }

    /** {@code GET /v1/claims/{id}/explain}: only {@code claim} unless the claim waits. */
    public record ClaimExplanation(Claim claim, QueuePlace queue, List<QuotaGap> quota, List<NodeGap> nodes,
                                   List<LockGap> locks, Purchase purchase) {
    }

    /** A queued claim's place: 1 for the next one considered; the claims ahead, and those ahead although younger. */
    public record QueuePlace(Integer position, int length, Counted ahead, Counted overtaking) {
    }

    /** The tenant's quota of one kind as it stands for a waiting claim. */
    public record QuotaGap(String kind, long asked, long entitled, long used, long booked, long missing) {
    }

    /** One node as it stands for a waiting claim. */
    public record NodeGap(String node, boolean lost, List<KindGap> kinds, Holders holders, List<Release> releases,
                          List<BookingWindow> bookings, Instant fitsAt) {
    }

    /** One kind on one node: asked, capacity, free, booked before the lease would end, missing. */
    public record KindGap(String kind, long asked, long capacity, long free, long booked, long missing,
                          boolean overcommitted) {
    }

    /** Who holds a node's kinds: the caller's own holds, and other tenants' as a count and a total. */
    public record Holders(List<OwnHold> own, int others, Map<String, Long> otherAmounts) {
    }

    /** One of the caller's own holds, with when it is expected to end. */
    public record OwnHold(String claim, Map<String, Long> amounts, Instant until) {
    }

    /** Amounts expected to free up at a moment. */
    public record Release(Instant at, Map<String, Long> amounts) {
    }

    /** A reservation's booking in a claim's way. */
    public record BookingWindow(Instant from, Instant to, Map<String, Long> amounts) {
    }

    /** One lock of a waiting claim's bundle. */
    public record LockGap(String lock, long permits, long held, Counted holders, Instant freesAt) {
    }

    /** What buying now would cost for the lease: the missing quota at the spot price, the bundle at the urgent one. */
    public record Purchase(long leaseSeconds, Map<String, Long> missing, long spotCost, long urgentCost) {
    }

    /** The data-local nodes of a stage, best first. */
    public record HintPrefer(List<String> nodes) {
    }

    /** A stage of {@code tasks} × {@code bundle} (node-local kinds only) for {@code POST /v1/placement/hints}. */
    public record HintStage(String name, long tasks, Map<String, Long> bundle, Long leaseSeconds, HintPrefer prefer,
                            List<String> after) {
    }

    /**
     * {@code POST /v1/placement/hints}: exactly one of {@code stage} and {@code stages}; {@code funding} QUOTA
     * (default) or BUY.
     */
    public record HintsRequest(HintStage stage, List<HintStage> stages, HintPrefer prefer, Instant deadline,
                               String funding) {
    }

    /** One node ranked for a stage. */
    public record NodeHint(String node, int rank, boolean preferred, boolean lost, long fitsNow, Long fitsByDeadline,
                           Instant earliestAt, Long waitSeconds, long pricePerTaskHour, String reason) {
    }

    /** The hints for one stage: the nodes ranked, what starts now and where. */
    public record StageHint(long tasks, long pricePerTaskHour, Long quotaTasks, long startNow,
                            Map<String, Long> placement, Instant earliestAt, List<NodeHint> nodes) {
    }

    /** One stage of a plan. */
    public record PlannedStage(String name, long tasks, List<String> after, boolean startNow, Instant startsAt,
                               Map<String, Long> placement, Instant allStartedAt, Instant endsAt, Long byDeadline,
                               Long waitSeconds, long pricePerTaskHour, String reason) {
    }

    /** The answer to {@code POST /v1/placement/hints}: {@code stage} in mode "stage", {@code plan} in mode "plan". */
    public record PlacementHints(Instant at, String mode, String funding, Instant deadline, StageHint stage,
                                 List<PlannedStage> plan) {
    }

    /** {@code POST /v1/jobs}. */
    public record JobCreate(List<String> command, Map<String, String> env, Bundle bundle, Integer priority,
                            Long leaseSeconds, String node) {
    }

    /** A job: a command run on the node where its claim (same id) is granted. */
    public record Job(String id, String tenant, String state, String reason, String node, List<String> command,
                      Map<String, String> env, Bundle bundle, int priority, long leaseSeconds, boolean cancelRequested,
                      Integer exitCode, Instant createdAt, Instant startedAt, Instant endedAt, String limits) {
        /** A job whose runner has said nothing of limits. */
        public Job(String id, String tenant, String state, String reason, String node, List<String> command,
                   Map<String, String> env, Bundle bundle, int priority, long leaseSeconds, boolean cancelRequested,
                   Integer exitCode, Instant createdAt, Instant startedAt, Instant endedAt) {
            this(id, tenant, state, reason, node, command, env, bundle, priority, leaseSeconds, cancelRequested,
                    exitCode, createdAt, startedAt, endedAt, null);
        }
    }

    /** {@code POST /v1/jobs/{id}/start}: what its runner holds the job's process to. */
    public record JobStart(String limits) {
    }

    /** {@code POST /v1/jobs/{id}/finish}: how the job's process ended. */
    public record JobFinish(Integer exitCode, String error) {
    }

    /** A pool: the capacity of one kind at one place. */
    public record Pool(String id, String kind, String node, String name, long capacity, long granted, long free,
                       boolean overcommitted, Long measuredFree, long withheld, int holders) {
    }

    /** A node as its agent's reports describe it. */
    public record Node(String node, String state, Instant lastReportAt, Instant lostAt, Map<String, Long> allocatable,
                       Map<String, Long> free, Map<String, Long> granted, Map<String, Long> withheld, int grants) {
    }

    /** A list answer. */
    public record Items<T>(List<T> items) {
        @JsonCreator
        public Items(@JsonProperty("items") List<T> items) {
            this.items = items;
        }
    }

    /** {@code POST /v1/tenants}. */
    public record TenantCreate(String id, Map<String, Long> quota) {
    }

    /**
     * The answer to {@code POST /v1/tenants}: the token is shown only here; a keyed retry's answer has no token and
     * {@code tokenIssuedOnce} true.
     */
    public record TenantCreated(String id, String token, Map<String, Long> quota, Boolean tokenIssuedOnce) {
        /** The first answer, with its token. */
        public TenantCreated(String id, String token, Map<String, Long> quota) {
            this(id, token, quota, null);
        }
    }

    /** The answer to a token's rotation: the new token, shown only here (a keyed retry: {@code tokenIssuedOnce}). */
    public record TokenRotated(String subject, String token, Boolean tokenIssuedOnce) {
    }

    /** A tenant's quota and what its live claims use. */
    public record Tenant(String id, Map<String, Long> quota, Map<String, Long> used, Instant createdAt,
                         Map<String, Long> limits, Map<String, Long> ownLimits, Map<String, Long> limitUsage) {
        /** A tenant shown without its limits. */
        public Tenant(String id, Map<String, Long> quota, Map<String, Long> used, Instant createdAt) {
            this(id, quota, used, createdAt, null, null, null);
        }
    }

    /** {@code POST /v1/agents}. */
    public record AgentCreate(String node) {
    }

    /** The answer to {@code POST /v1/agents}: the token is shown only here (a keyed retry: {@code tokenIssuedOnce}). */
    public record AgentCreated(String node, String token, Boolean tokenIssuedOnce) {
        /** The first answer, with its token. */
        public AgentCreated(String node, String token) {
            this(node, token, null);
        }
    }

    /** {@code POST /v1/kinds}, and a kind. */
    public record Kind(String name, String unit, Boolean builtIn) {
    }

    /** {@code POST /v1/locks}. */
    public record LockCreate(String name, Long permits) {
    }

    /** {@code PUT /v1/nodes/{node}/report}. */
    public record NodeReport(Map<String, Long> allocatable, Map<String, Long> free) {
    }

    /** {@code POST /v1/claims/{id}/renew}. */
    public record Renew(Long leaseSeconds) {
    }

    /** One discrepancy found by the audit. */
    public record Drift(String subject, long recorded, long live, String detail) {
    }

    /**
     * The answer of {@code GET /v1/audit}.
     *
     * @param ok        whether no drift was found
     * @param drift     every discrepancy, of holdings and of credits
     * @param credits   what the credit audit compared
     * @param checkedAt when
     */
    public record Audit(boolean ok, List<Drift> drift, CreditAudit credits, Instant checkedAt) {
    }

    /**
     * What the credit audit compared (law 4).
     *
     * @param minted   credits minted, summed from the journal
     * @param total    the balances of every account but the issue account
     * @param inFlight accounts postings kept changing while the audit read them; {@code total == minted} when none
     */
    public record CreditAudit(long minted, long total, int inFlight) {
    }

    // ---------------------------------------------------------------- credits

    /**
     * {@code POST /v1/tenants/{id}/credits}.
     *
     * @param amount credits to mint, minor units (1 to 10^15)
     * @param memo   what they are for, or {@code null}
     */
    public record CreditMint(long amount, String memo) {
    }

    /**
     * A journal entry as one account sees it.
     *
     * @param id     the entry id
     * @param time   when it was posted
     * @param reason why credits moved ({@code MINT}, {@code PURCHASE}, …)
     * @param memo   what for
     * @param ref    the claim, order or loan it concerns, or {@code null}
     * @param amount credit (positive) or debit (negative) to the account
     */
    public record Entry(String id, Instant time, String reason, String memo, String ref, long amount) {
    }

    /**
     * The answer to {@code POST /v1/tenants/{id}/credits}.
     *
     * @param entry   the entry, as the tenant's account sees it
     * @param balance the tenant's balance once it was posted
     */
    public record Minted(Entry entry, long balance) {
    }

    /**
     * {@code PATCH /v1/tenants/{id}}: the settings to change; {@code null} fields keep their value.
     *
     * @param creditLimit how far below zero the tenant's balance may go
     */
    public record TenantUpdate(Long creditLimit, Map<String, Long> lendingLimit, Map<String, Long> limits) {
        /** Changes the credit limit only. */
        public TenantUpdate(Long creditLimit) {
            this(creditLimit, null, null);
        }

        /** Changes the credit and lending limits. */
        public TenantUpdate(Long creditLimit, Map<String, Long> lendingLimit) {
            this(creditLimit, lendingLimit, null);
        }
    }

    /**
     * A tenant's credit account and quota ({@code GET /v1/tenants/{id}/account}).
     *
     * @param tenant      the tenant
     * @param balance     settled balance, minor units
     * @param available   what may be spent now: the balance (an entry is posted whole)
     * @param creditLimit how far below zero the balance may go
     * @param quota       kind to the quota the tenant owns
     */
    public record TenantAccount(String tenant, long balance, long available, long creditLimit,
                                Map<String, Long> quota, Map<String, Long> borrowed, Map<String, Long> lent,
                                Map<String, Long> offered, Map<String, Long> lendingLimit, List<OrderSummary> offers,
                                List<OrderSummary> bids) {
    }

    /** An open order as the account lists it. */
    public record OrderSummary(String id, String side, String kind, long amount, long filled, long price,
                               String state) {
    }

    /** {@code POST /v1/market/offers}. */
    public record OfferCreate(String kind, long amount, long durationSeconds, long minPrice, Instant goodUntil) {
    }

    /** {@code POST /v1/market/bids}. */
    public record BidCreate(String kind, long amount, long durationSeconds, long maxPrice, Instant goodUntil) {
    }

    /** One fill of an order: the trade and the loan it became. */
    public record Fill(String loan, long amount, long price, long cost, Instant at) {
    }

    /** An offer or a bid. */
    public record Order(String id, String side, String tenant, String kind, long amount, long filled,
                        long durationSeconds, long price, Instant goodUntil, String state, Long hold,
                        Long spent, String claim, Instant createdAt, Instant endedAt, List<Fill> fills) {
    }

    /** Resting amount at one price. */
    public record PriceLevel(long price, long amount, int orders) {
    }

    /** {@code GET /v1/market/{kind}}. */
    public record Market(String kind, long spotPrice, long urgentPrice, Long lastTradePrice, Instant lastTradeAt,
                         List<PriceLevel> bids, List<PriceLevel> offers, int resting) {
    }

    /** One bucket of a kind's price history. */
    public record HistoryBucket(Instant start, Instant end, int spotSamples, Long open, Long high, Long low,
                                Long close, int trades, long volume, Long lastTradePrice) {
    }

    /** {@code GET /v1/market/{kind}/history}. */
    public record MarketHistory(String kind, Instant from, Instant to, long stepSeconds, List<HistoryBucket> buckets) {
    }

    /** A loan of quota made by a trade (or a purchase from the house). */
    public record Loan(String id, String kind, String lender, String borrower, long amount, long price, long cost,
                       String state, Instant startedAt, Instant endsAt, Instant recallDeadline, Instant endedAt,
                       String endReason, List<String> preempted) {
    }

    /** {@code POST /v1/loans/{id}/recall}. */
    public record Recall(Long noticeSeconds) {
    }

    /**
     * One line of a statement.
     *
     * @param entryId the journal entry
     * @param time    when it was posted
     * @param reason  why credits moved
     * @param memo    what for
     * @param ref     the claim, order or loan concerned, or {@code null}
     * @param amount  credit (positive) or debit (negative)
     * @param balance the balance after this line
     */
    public record StatementLine(String entryId, Instant time, String reason, String memo, String ref, long amount,
                                long balance) {
    }

    /**
     * A page of a statement ({@code GET /v1/tenants/{id}/statement}).
     *
     * @param lines the lines, oldest first
     * @param next  the cursor of the next page; {@code null} (written as such) on the last page
     */
    public record Statement(List<StatementLine> lines,
                            @JsonInclude(JsonInclude.Include.ALWAYS) String next) {
    }

    /**
     * One credit account, as the operator lists them ({@code GET /v1/accounts}).
     *
     * @param id          {@code tenant:<id>}, {@code house}, {@code escrow} or {@code issue}
     * @param type        {@code TENANT}, {@code HOUSE}, {@code ESCROW} or {@code ISSUE}
     * @param tenant      the tenant of a tenant's account, else {@code null}
     * @param balance     settled balance
     * @param available   what may be spent now: the balance (an entry is posted whole)
     * @param creditLimit how far below zero the balance may go
     */
    public record Account(String id, String type, String tenant, long balance, long available, long creditLimit) {
    }

    /**
     * The answer of {@code GET /v1/accounts}.
     *
     * @param items  every account, by id
     * @param minted credits minted so far
     */
    public record AccountList(List<Account> items, long minted) {
    }

    /** A field the contract refused. */
    public record FieldError(String pointer, String message) {
    }

    /** An RFC 9457 problem. */
    public record Problem(String type, String title, int status, String detail, String code,
                          List<FieldError> errors, Instant earliestStart, Instant earliestEnd, String limit, Long max) {
        /** A problem with no suggested window and no limit. */
        public Problem(String type, String title, int status, String detail, String code, List<FieldError> errors) {
            this(type, title, status, detail, code, errors, null, null, null, null);
        }

        /** A problem with a suggested window. */
        public Problem(String type, String title, int status, String detail, String code, List<FieldError> errors,
                       Instant earliestStart, Instant earliestEnd) {
            this(type, title, status, detail, code, errors, earliestStart, earliestEnd, null, null);
        }
    }

    /**
     * {@code /health} and {@code /ready}.
     *
     * @param engine whether the engine runs on this member ({@code /ready} only)
     * @param epoch  the engine's epoch as this member knows it ({@code /ready} only)
     */
    public record Status(String status, String member, Integer clusterSize, Boolean engine, Long epoch) {
        /** A status without the engine's part. */
        public Status(String status, String member, Integer clusterSize) {
            this(status, member, clusterSize, null, null);
        }
    }

    /** {@code POST /v1/reservations}. */
    public record ReservationCreate(Bundle bundle, Integer count, Instant start, Instant end, String node,
                                    Funding funding, Long leaseSeconds, Integer priority) {
    }

    /** One copy of a reservation: the claim it is (or will be) and the node it is booked on. */
    public record ReservationCopy(String claim, String node) {
    }

    /** A reservation. */
    public record Reservation(String id, String tenant, String state, String reason, Bundle bundle, int count,
                              Instant start, Instant end, String node, List<ReservationCopy> copies,
                              List<String> claims, Funding funding, long leaseSeconds, int priority, long price,
                              long refunded, List<String> recalled, Instant createdAt, Instant updatedAt) {
    }

    /** One step of a pool's timeline. */
    public record TimelineStep(Instant at, long capacity, long granted, long reserved, long used, long free) {
    }

    /** {@code GET /v1/pools/{id}/timeline}. */
    public record PoolTimeline(String pool, Instant from, Instant to, long stepSeconds, List<TimelineStep> steps) {
    }

    /** An event. */
    public record Event(String id, long seq, String type, Instant time, String tenant, String subject,
                        Map<String, String> payload) {
    }

    /** One action of the audit trail ({@code GET /v1/audit/actions}). */
    public record OperatorAction(String id, Instant at, String actor, String operation, String target,
                                 com.fasterxml.jackson.databind.JsonNode before,
                                 com.fasterxml.jackson.databind.JsonNode after) {
    }

    /** A page of the audit trail: its actions, and the {@code after} of the next page ({@code null}: none yet). */
    public record ActionPage(List<OperatorAction> items, String next) {
    }

    /** {@code GET /v1/events} as a page. */
    public record EventPage(List<Event> items, long next, long oldest) {
    }

    /** A webhook target. */
    public record Webhook(String url) {
    }

    /** A retry policy. */
    public record Retry(Integer attempts, Long backoffMs) {
    }

    /** {@code POST /v1/handlers}. */
    public record HandlerCreate(String eventType, Map<String, String> filter, Webhook webhook, String address,
                                Integer priority, String ackPolicy, Long timeoutMs, Retry retry) {
    }

    /** {@code PATCH /v1/handlers/{id}}. */
    public record HandlerUpdate(Boolean enabled, Integer priority) {
    }

    /** What a binding delivered so far. */
    public record HandlerDeliveries(long successes, long failures, int deadLetters, String lastError, Instant lastAt) {
    }

    /** A handler binding. */
    public record Handler(String id, String owner, String eventType, Map<String, String> filter, Webhook webhook,
                          String address, int priority, String ackPolicy, boolean enabled, long timeoutMs, Retry retry,
                          String secret, com.fasterxml.jackson.databind.JsonNode session, HandlerDeliveries deliveries,
                          String source, Instant createdAt) {
    }

    /** A delivery that exhausted its attempts. */
    public record DeadLetter(String id, String binding, Event event, int attempts, String lastError, Instant at) {
    }

    /** {@code POST /v1/price-alerts}: a kind and exactly one of {@code above} and {@code below}. */
    public record PriceAlertCreate(String kind, Long above, Long below) {
    }

    /** A price alert: a tenant's threshold on a kind's spot price. */
    public record PriceAlert(String id, String kind, Long above, Long below, String state, Instant createdAt,
                             Long lastPrice, Instant observedAt, long crossings, Instant lastCrossedAt,
                             Instant deletedAt) {
    }
}
