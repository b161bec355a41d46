package io.ichiba.broker;

import io.ichiba.ledger.Account;
import io.ichiba.ledger.Auditor;
import io.ichiba.ledger.Claim;
import io.ichiba.ledger.Event;
import io.ichiba.ledger.ClaimState;
import io.ichiba.ledger.Filters;
import io.ichiba.ledger.JobState;
import io.ichiba.ledger.JournalEntry;
import io.ichiba.ledger.KindDef;
import io.ichiba.ledger.LeaseReaper;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.Loan;
import io.ichiba.ledger.MarketCommands;
import io.ichiba.ledger.MarketOrder;
import io.ichiba.ledger.LockState;
import io.ichiba.ledger.NodeState;
import io.ichiba.ledger.Reservation;
import io.ichiba.ledger.PoolView;
import io.ichiba.pricing.Side;
import io.ichiba.ledger.TenantLimits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ichiba's own meters, all prefixed {@code ichiba_}: pools (capacity, granted, over-commit) tagged by pool and
 * kind; claims by state; queue depth and the oldest wait; grant latency; lease expiries; audit drift; credits
 * minted, journal entries by reason, and the balances of the house and escrow (never one series per tenant); the
 * market: trades and the amount traded, spot prices, resting orders and live loans per kind, preemptions by reason;
 * placement hints by mode and claim explanations answered.
 *
 * <p>Pool, claim and market gauges are refreshed from the store every few seconds ({@link #refresh}), not per
 * scrape, so that a scrape costs no cluster-wide read. Tags stay bounded: one series per pool, per state, per kind
 * (kinds are few: the built-in ones and those the operator defines), per side, per preemption reason.
 *
 * <p>Counters of things that happen to one record (a journal entry, a trade's loan, a claim's preemption) are
 * counted by a local entry listener, on the member that owns the record's key, so each is counted once in the
 * cluster: sum them over members. The listener sees only the new value, so each counts a record in the one state
 * it has once (a loan ACTIVE and never recalled is a new trade; a claim PREEMPTED with its tokens not yet returned
 * is a new preemption).
 */
public final class BrokerMetrics {
    /**
     * Makes the registry's output pass {@code promtool check metrics}: the gauge {@code system.cpu.count} is renamed
     * (a gauge may not end in {@code _count}), and the two JVM counters kept in milliseconds or nanoseconds
     * ({@code jvm.compilation.time}, {@code process.cpu.time}) are dropped, since Prometheus wants seconds and
     * a filter cannot rescale them ({@code process_cpu_usage} remains).
     */
    public static void configureForPrometheus(MeterRegistry registry) {
        registry.config().meterFilter(MeterFilter.deny(id -> "ms".equals(id.getBaseUnit())
                || "ns".equals(id.getBaseUnit())));
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpu.logical") : id;
            }
        });
    }

    private final Ledger ledger;
    private final MultiGauge poolCapacity;
    private final MultiGauge poolGranted;
    private final MultiGauge poolOvercommitted;
    private final MultiGauge poolWithheld;
    private final MultiGauge nodes;
    private final Counter nodesLost;
    private final Counter grantsLost;
    private final MultiGauge claims;
    private final MultiGauge jobs;
    private final AtomicLong queueDepth = new AtomicLong();
    private final AtomicLong oldestWaitMillis = new AtomicLong();
    private final AtomicLong auditDriftNow = new AtomicLong();
    private final Timer grantLatency;
    private final Map<io.ichiba.ledger.Admission.Pass.Kind, Timer> passDuration;
    private final Counter grants;
    private final Counter leaseExpiries;
    private final Counter auditDrift;
    private final Counter orphansReturned;
    private final Counter creditsMinted;
    private final Map<JournalEntry.Reason, Counter> journalEntries = new EnumMap<>(JournalEntry.Reason.class);
    private final Map<String, AtomicLong> creditBalances = new LinkedHashMap<>();
    private final MeterRegistry registry;
    private final Map<String, Counter> trades = new ConcurrentHashMap<>();
    private final Map<String, Counter> tradedAmount = new ConcurrentHashMap<>();
    private final Map<String, Counter> preemptions = new ConcurrentHashMap<>();
    private final Map<String, Counter> hints = new ConcurrentHashMap<>();
    private final Counter explains;
    private final MultiGauge spotPrice;
    private final MultiGauge ordersResting;
    private final MultiGauge loansActive;
    private final MultiGauge reservations;
    private final MultiGauge poolReserved;
    private final Map<String, Counter> bookings = new ConcurrentHashMap<>();
    private final Counter eventsRelayed;
    private final Map<String, Counter> handlerAttempts = new ConcurrentHashMap<>();
    private final AtomicLong deliveriesPending = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final Counter priceCrossings;
    private final Map<String, Counter> limitRefusals = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong priceAlerts = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger eventStreams = new java.util.concurrent.atomic.AtomicInteger();

    /** The modes of a placement hint: one stage, or a plan of several. */
    private static final List<String> HINT_MODES = List.of("stage", "plan");

    /** Why a grant is preempted: the reasons counted by name; any other counts as {@code OTHER}. */
    private static final Set<String> PREEMPT_REASONS = Set.of("RECALL", "TERM", "URGENT", "RESERVATION");

    /** Registers the meters in {@code registry}. */
    public BrokerMetrics(MeterRegistry registry, Ledger ledger) {
        this.ledger = ledger;
        this.registry = registry;
        this.poolCapacity = MultiGauge.builder("ichiba.pool.capacity")
                .description("Capacity of a pool: allocatable MiB (or units) of a node-local kind, permits of a lock")
                .register(registry);
        this.poolGranted = MultiGauge.builder("ichiba.pool.granted")
                .description("Amount of a pool held by granted claims").register(registry);
        this.poolOvercommitted = MultiGauge.builder("ichiba.pool.overcommitted")
                .description("1 when a pool holds more than its reported capacity").register(registry);
        this.poolWithheld = MultiGauge.builder("ichiba.pool.withheld")
                .description("Capacity not granted because the agent measured less free than capacity - granted")
                .register(registry);
        this.nodes = MultiGauge.builder("ichiba.nodes").description("Nodes by state (READY, LOST)").register(registry);
        this.nodesLost = Counter.builder("ichiba.nodes.lost")
                .description("Nodes found lost: no report for the grace period").register(registry);
        this.grantsLost = Counter.builder("ichiba.grants.lost")
                .description("Grants ended because their node was lost (reason NODE_LOST)").register(registry);
        this.claims = MultiGauge.builder("ichiba.claims").description("Claims by state").register(registry);
        this.jobs = MultiGauge.builder("ichiba.jobs").description("Jobs by state").register(registry);
        Gauge.builder("ichiba.queue.depth", queueDepth, AtomicLong::get)
                .description("Claims waiting in the admission queue").register(registry);
        Gauge.builder("ichiba.queue.oldest.wait.seconds", oldestWaitMillis, a -> a.get() / 1000.0)
                .description("How long the oldest queued claim has waited").register(registry);
        Gauge.builder("ichiba.audit.drift.current", auditDriftNow, AtomicLong::get)
                .description("Drift entries found by the last audit on this member").register(registry);
        this.grantLatency = Timer.builder("ichiba.grant.latency")
                .description("Time from a claim's submission to its grant")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
        this.passDuration = new EnumMap<>(io.ichiba.ledger.Admission.Pass.Kind.class);
        for (io.ichiba.ledger.Admission.Pass.Kind kind : List.of(io.ichiba.ledger.Admission.Pass.Kind.FULL,
                io.ichiba.ledger.Admission.Pass.Kind.PARTIAL, io.ichiba.ledger.Admission.Pass.Kind.SKIPPED)) {
            passDuration.put(kind, Timer.builder("ichiba.admission.pass.duration")
                    .description("Duration of one admission pass: over the whole queue (full), over the claims the "
                            + "changes since concern (partial), or skipped as nothing changed (skipped)")
                    .tag("kind", kind.name().toLowerCase(java.util.Locale.ROOT)).register(registry));
        }
        this.grants = Counter.builder("ichiba.grants").description("Claims granted").register(registry);
        this.leaseExpiries = Counter.builder("ichiba.lease.expiries")
                .description("Grants ended because their lease was not renewed").register(registry);
        this.auditDrift = Counter.builder("ichiba.audit.drift")
                .description("Drift entries found by audits (recorded holdings that differ from the live grants)")
                .register(registry);
        this.orphansReturned = Counter.builder("ichiba.orphan.holds.returned")
                .description("Holds returned because no live grant owned them").register(registry);
        this.creditsMinted = Counter.builder("ichiba.credits.minted")
                .description("Credits minted (minor units), counted by the member that owns each entry: sum over members")
                .register(registry);
        for (JournalEntry.Reason r : JournalEntry.Reason.values()) {
            journalEntries.put(r, Counter.builder("ichiba.journal.entries").tag("reason", r.name())
                    .description("Journal entries written, by reason, counted by the member that owns each entry: "
                            + "sum over members").register(registry));
        }
        for (String account : List.of(Account.HOUSE, Account.ESCROW)) {
            AtomicLong balance = new AtomicLong();
            creditBalances.put(account, balance);
            Gauge.builder("ichiba.credit.balance", balance, AtomicLong::get).tag("account", account)
                    .description("Settled balance of the house's and escrow's accounts (minor units)")
                    .register(registry);
        }
        // each entry is added to the journal once, on the member that owns its key: count it there
        ledger.store().journal().listenLocal(this::journaled);

        this.spotPrice = MultiGauge.builder("ichiba.spot.price")
                .description("Posted spot price of a kind: what the house sells a unit-hour for now (minor units)")
                .register(registry);
        this.ordersResting = MultiGauge.builder("ichiba.orders.resting")
                .description("Offers and bids resting in a kind's book").register(registry);
        this.loansActive = MultiGauge.builder("ichiba.loans.active")
                .description("Loans not yet ended (active, recalled, ending) by kind: trades and purchases from "
                        + "the house").register(registry);
        KindDef.BUILT_IN.forEach(k -> {
            trades(k);
            tradedAmount(k);
        });
        PREEMPT_REASONS.forEach(this::preemptions);
        HINT_MODES.forEach(this::hintsCounter);
        for (String limit : TenantLimits.NAMES) {
            limitRefusals.put(limit, Counter.builder("ichiba.tenant.limit.refusals").tag("limit", limit)
                    .description("Requests refused because their tenant was at this limit (429 TENANT_LIMIT)")
                    .register(registry));
        }
        this.explains = Counter.builder("ichiba.claim.explains")
                .description("Explanations of claims asked (GET /v1/claims/{id}/explain), counted by the member that "
                        + "answered: sum over members").register(registry);
        this.reservations = MultiGauge.builder("ichiba.reservations")
                .description("Reservations by state (BOOKED, ACTIVE, ENDED, CANCELLED, FAILED)").register(registry);
        this.poolReserved = MultiGauge.builder("ichiba.pool.reserved")
                .description("The most promised to reservations not yet open at any moment of the next 24 hours")
                .register(registry);
        for (String outcome : List.of("booked", "WINDOW_FULL")) {
            reservationBooking(outcome);
        }
        Gauge.builder("ichiba.handler.deliveries.pending", deliveriesPending, AtomicLong::get)
                .description("Deliveries of events to handlers not yet settled").register(registry);
        Gauge.builder("ichiba.handler.dead.letters", deadLetters, AtomicLong::get)
                .description("Deliveries that exhausted their attempts, kept for replay").register(registry);
        this.eventsRelayed = Counter.builder("ichiba.events.relayed")
                .description("Events appended to the event log by this member: by the engine once their batch is "
                        + "journaled (again by an engine that takes over while the batch is in the journal's head), "
                        + "or by the relay of a store without an engine").register(registry);
        Gauge.builder("ichiba.event.streams", eventStreams, java.util.concurrent.atomic.AtomicInteger::get)
                .description("Server-sent event streams open on this member").register(registry);
        Gauge.builder("ichiba.events.log.newest", ledger.store().events(), l -> l.newest())
                .description("The sequence number of the newest event in the log").register(registry);
        this.priceCrossings = Counter.builder("ichiba.price.crossings")
                .description("price.crossed events appended by this member's relay (sum over members)")
                .register(registry);
        Gauge.builder("ichiba.price.alerts", priceAlerts, java.util.concurrent.atomic.AtomicLong::get)
                .description("Live price alerts (every tenant's)").register(registry);
    }

    private Counter trades(String kind) {
        return trades.computeIfAbsent(kind, k -> Counter.builder("ichiba.trades").tag("kind", k)
                .description("Trades on a kind's book (each became a loan), counted by the member that published "
                        + "the trade's event: sum over members").register(registry));
    }

    private Counter tradedAmount(String kind) {
        return tradedAmount.computeIfAbsent(kind, k -> Counter.builder("ichiba.traded.amount").tag("kind", k)
                .description("Amount traded on a kind's book (MiB for memory and disk, units otherwise), counted "
                        + "by the member that published the trade's event: sum over members").register(registry));
    }

    private Counter preemptions(String reason) {
        return preemptions.computeIfAbsent(reason, r -> Counter.builder("ichiba.preemptions").tag("reason", r)
                .description("Grants preempted, by reason (RECALL, TERM, URGENT), counted by the member that owns "
                        + "the claim: sum over members").register(registry));
    }

    private Counter hintsCounter(String mode) {
        return hints.computeIfAbsent(mode, m -> Counter.builder("ichiba.placement.hints").tag("mode", m)
                .description("Placement hints answered, by mode (stage, plan), counted by the member that answered: "
                        + "sum over members").register(registry));
    }

    /** A request refused because its tenant is at one of its limits (one of {@link TenantLimits#NAMES}). */
    public void tenantLimitRefused(String limit) {
        limitRefusals.get(TenantLimits.NAMES.contains(limit) ? limit : TenantLimits.NAMES.get(0)).increment();
    }

    /** Counts a placement hint answered in {@code mode} ({@code stage} or {@code plan}). */
    public void hinted(String mode) {
        hintsCounter(HINT_MODES.contains(mode) ? mode : "stage").increment();
    }

    /** Counts an explanation of a claim answered. */
    public void explained() {
        explains.increment();
    }

    /**
     * Counts what an event appended to the log tells: a trade (its lender's {@code trade.executed}, the loan's first
     * event; a purchase from the house is a loan too, but no trade), a preemption by reason, a price alert's
     * crossing. The engine tells each event of a batch it journaled once (not those it publishes again after a
     * takeover); a store without an engine tells what its relay appends.
     */
    public void eventAppended(Event e) {
        if ("trade.executed".equals(e.type()) && e.id().endsWith(":0")) {
            String kind = e.payload().get("kind");
            trades(kind).increment();
            tradedAmount(kind).increment(Long.parseLong(e.payload().getOrDefault("amount", "0")));
        }
        if ("price.crossed".equals(e.type())) {
            priceCrossings.increment();
        }
        if ("claim.preempted".equals(e.type())) {
            String reason = e.payload().get("reason");
            preemptions(PREEMPT_REASONS.contains(reason) ? reason : "OTHER").increment();
        }
    }

    /** Counts a journal entry just written (and the credits it mints). */
    void journaled(JournalEntry e) {
        Counter c = journalEntries.get(e.reason());
        if (c != null) {
            c.increment();
        }
        if (e.reason() == JournalEntry.Reason.MINT) {
            creditsMinted.increment(-e.amountFor(Account.ISSUE));
        }
    }

    /**
     * Counts a booking asked over HTTP by outcome: {@code booked}, or the rejection code ({@code WINDOW_FULL},
     * {@code NEVER_FITS}, ...), counted by the member that answered: sum over members.
     */
    public void reservationBooking(String outcome) {
        bookings.computeIfAbsent(outcome, o -> Counter.builder("ichiba.reservation.bookings").tag("outcome", o)
                .description("Reservation bookings asked, by outcome (booked or the rejection code)")
                .register(registry)).increment();
    }

    /**
     * Counts a handler attempt by outcome ({@code ok}, {@code failed}, {@code skipped}), on the member that
     * dispatches.
     */
    public void handlerAttempt(String outcome) {
        handlerAttempts.computeIfAbsent(outcome, o -> Counter.builder("ichiba.handler.attempts").tag("outcome", o)
                .description("Handler attempts by outcome (webhook or event-bus calls; skipped: disabled or removed)")
                .register(registry)).increment();
    }

    /** Counts events the relay appended to the log. */
    public void eventsRelayed(int n) {
        eventsRelayed.increment(n);
    }

    /** Counts an event stream opened ({@code +1}) or closed ({@code -1}). */
    public void eventStream(int delta) {
        eventStreams.addAndGet(delta);
    }

    /** Records a grant and its latency from submission. */
    public void granted(Claim c, long latencyMillis) {
        grants.increment();
        grantLatency.record(Duration.ofMillis(Math.max(0, latencyMillis)));
    }

    /** Records the duration of an admission pass of {@code kind} (full, partial or skipped; others are not kept). */
    public void pass(io.ichiba.ledger.Admission.Pass.Kind kind, long nanos) {
        Timer t = passDuration.get(kind);
        if (t != null) {
            t.record(Duration.ofNanos(nanos));
        }
    }

    /** Records orphan holds returned by a store without an engine. */
    public void orphansReturned(int orphans) {
        orphansReturned.increment(orphans);
    }

    /** Counts what the lease reaper ends, one at a time: leases past their deadline, nodes lost, their grants. */
    public LeaseReaper.Tally reaperTally() {
        return new LeaseReaper.Tally() {
            @Override
            public void leaseExpired() {
                leaseExpiries.increment();
            }

            @Override
            public void nodeLost() {
                nodesLost.increment();
            }

            @Override
            public void grantLost() {
                grantsLost.increment();
            }
        };
    }

    /** Records an audit. */
    public void audited(Auditor.Report report) {
        auditDrift.increment(report.drift().size());
        auditDriftNow.set(report.drift().size());
    }

    /** Reads pools and claims from the store and updates the gauges. */
    public void refresh() {
        List<MultiGauge.Row<?>> cap = new ArrayList<>();
        List<MultiGauge.Row<?>> granted = new ArrayList<>();
        List<MultiGauge.Row<?>> over = new ArrayList<>();
        List<MultiGauge.Row<?>> withheld = new ArrayList<>();
        for (PoolView p : ledger.pools()) {
            Tags tags = Tags.of("pool", p.id(), "kind", p.kind());
            cap.add(MultiGauge.Row.of(tags, p.capacity()));
            granted.add(MultiGauge.Row.of(tags, p.granted()));
            over.add(MultiGauge.Row.of(tags, p.overcommitted() ? 1 : 0));
            if (p.node() != null) {
                withheld.add(MultiGauge.Row.of(tags, p.withheld()));
            }
        }
        poolCapacity.register(cap, true);
        poolGranted.register(granted, true);
        poolOvercommitted.register(over, true);
        poolWithheld.register(withheld, true);
        java.util.Collection<NodeState> all = ledger.store().nodes().entries().values();
        long lost = all.stream().filter(NodeState::lost).count();
        nodes.register(List.of(MultiGauge.Row.of(Tags.of("state", "READY"), all.size() - lost),
                MultiGauge.Row.of(Tags.of("state", "LOST"), lost)), true);
        Map<ClaimState, Long> byState = new EnumMap<>(ClaimState.class);
        for (ClaimState s : ClaimState.values()) {
            if (s != ClaimState.GRANTING) {
                byState.put(s, 0L);
            }
        }
        long now = ledger.clock().millis();
        // counted from the claims' index by state, not by reading every claim (ended ones are kept for the retention)
        for (ClaimState s : ClaimState.values()) {
            byState.merge(s.visible(), (long) ledger.store().claims().count(new Filters.ClaimIn(EnumSet.of(s))),
                    Long::sum);
        }
        long oldest = 0;
        for (Claim c : ledger.store().claims().values(new Filters.ClaimIn(EnumSet.of(ClaimState.QUEUED,
                ClaimState.GRANTING)))) {
            oldest = Math.max(oldest, now - c.createdAt());
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        byState.forEach((s, n) -> rows.add(MultiGauge.Row.of(Tags.of("state", s.name()), n)));
        claims.register(rows, true);
        Map<JobState, Long> jobsByState = new EnumMap<>(JobState.class);
        for (JobState s : JobState.values()) {
            jobsByState.put(s, 0L);
        }
        // counts, not records: on a member that does not run the engine only the numbers cross the network
        jobsByState.replaceAll((s, n) -> (long) ledger.store().jobs().count(new Filters.JobsOf(null, s)));
        List<MultiGauge.Row<?>> jobRows = new ArrayList<>();
        jobsByState.forEach((s, n) -> jobRows.add(MultiGauge.Row.of(Tags.of("state", s.name()), n)));
        jobs.register(jobRows, true);
        queueDepth.set(byState.getOrDefault(ClaimState.QUEUED, 0L));
        oldestWaitMillis.set(oldest);
        creditBalances.forEach((id, gauge) -> {
            Account a = ledger.accounts().account(id);
            gauge.set(a == null ? 0 : a.balance());
        });
        refreshMarket();
        refreshReservations(now);
        deliveriesPending.set(ledger.store().deliveries().count(new Filters.Unsettled()));
        deadLetters.set(ledger.store().deadLetters().count(new Filters.All<>()));
        priceAlerts.set(ledger.store().alerts().count(new Filters.AlertsOf(null, true)));
    }

    /** Counts reservations by state and the reserved peak of each pool over the next day. */
    private void refreshReservations(long now) {
        Map<Reservation.State, Long> byState = new EnumMap<>(Reservation.State.class);
        for (Reservation.State s : Reservation.State.values()) {
            if (s != Reservation.State.BOOKING) {
                byState.put(s, 0L);
            }
        }
        for (Reservation.State s : Reservation.State.values()) {
            byState.merge(s == Reservation.State.BOOKING ? Reservation.State.BOOKED : s,
                    (long) ledger.store().reservations().count(new Filters.ReservationIn(EnumSet.of(s))), Long::sum);
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        byState.forEach((s, n) -> rows.add(MultiGauge.Row.of(Tags.of("state", s.name()), n)));
        reservations.register(rows, true);
        List<MultiGauge.Row<?>> reserved = new ArrayList<>();
        long day = now + 86_400_000;
        for (NodeState n : ledger.store().nodes().entries().values()) {
            for (String kind : n.kinds().keySet()) {
                reserved.add(MultiGauge.Row.of(Tags.of("pool", NodeState.poolId(kind, n.node()), "kind", kind),
                        n.holdings().bookedPeak(kind, now, day, null)));
            }
        }
        for (LockState l : ledger.store().locks().entries().values()) {
            reserved.add(MultiGauge.Row.of(Tags.of("pool", LockState.poolId(l.name()), "kind", LockState.KIND),
                    l.holdings().bookedPeak(LockState.KIND, now, day, null)));
        }
        poolReserved.register(reserved, true);
    }

    /** Reads each kind's book (spot price, resting orders) and the live loans, and updates the market gauges. */
    private void refreshMarket() {
        List<MultiGauge.Row<?>> spot = new ArrayList<>();
        List<MultiGauge.Row<?>> resting = new ArrayList<>();
        Map<String, Long> live = new java.util.TreeMap<>();
        for (String kind : ledger.kinds()) {
            spot.add(MultiGauge.Row.of(Tags.of("kind", kind), ledger.exchange().spot(kind)));
            long offers = 0;
            long bids = 0;
            for (MarketOrder o : ledger.store().books().execute(kind, new MarketCommands.OrdersOf(null, true))) {
                if (o.state().isResting()) {
                    if (o.side() == Side.OFFER) {
                        offers++;
                    } else {
                        bids++;
                    }
                }
            }
            resting.add(MultiGauge.Row.of(Tags.of("kind", kind, "side", "OFFER"), offers));
            resting.add(MultiGauge.Row.of(Tags.of("kind", kind, "side", "BID"), bids));
            live.put(kind, 0L);
        }
        for (Loan l : ledger.exchange().loans(null, true)) {
            live.merge(l.kind(), 1L, Long::sum);
        }
        List<MultiGauge.Row<?>> loans = new ArrayList<>();
        live.forEach((kind, n) -> loans.add(MultiGauge.Row.of(Tags.of("kind", kind), n)));
        spotPrice.register(spot, true);
        ordersResting.register(resting, true);
        loansActive.register(loans, true);
    }
}
