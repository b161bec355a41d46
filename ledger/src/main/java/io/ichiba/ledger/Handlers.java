package io.ichiba.ledger;

import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.handler.Binding;
import io.ichiba.ledger.handler.DeadLetter;
import io.ichiba.ledger.handler.Delivery;
import io.ichiba.ledger.handler.HandlerCommands;
import io.ichiba.ledger.handler.HandlerFilters;
import io.ichiba.ledger.job.JobFilters;
import io.ichiba.ledger.pool.PlaceCommands.CreateIfAbsent;
import io.ichiba.ledger.pool.PlaceCommands.CreateNew;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.store.Table;

import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Handlers bound to event types, and the bookkeeping of their deliveries: which events go to which bindings, the
 * ack policy of each delivery, attempts, retries, dead letters and replays. The calls themselves (HTTP, event bus)
 * are the broker's; everything they change goes through here, one command on one key at a time.
 *
 * <h2>Dispatch</h2>
 * One dispatcher at a time (the broker runs it with the admission loop) reads the event log after its cursor
 * ({@link #ingest}): for each event, the enabled bindings that match it are grouped by owner and a {@link Delivery}
 * is created per owner, its id made of the event's id and the owner's, so an event appended twice is delivered once;
 * then the cursor moves on. A dispatcher that dies between the two makes the same deliveries again, which exist.
 * Deliveries are then attempted ({@link #attempted}) until settled; a member that takes the dispatcher over finds
 * the unsettled ones and attempts them again (at least once).
 */
public final class Handlers {
    /** The event types a binding may name. */
    public static final Set<String> EVENT_TYPES = Set.of("claim.queued", "claim.granted", "claim.released",
            "claim.cancelled", "claim.expired", "claim.preempt-notice", "claim.preempted", "claim.lost", "node.lost",
            "node.back", "pool.overcommitted", "pool.withheld", "job.started", "job.finished", "job.failed",
            "job.cancelled", "job.lost", "trade.executed", "purchase.executed", "price.crossed");
    /** The dispatcher's cursor's name. */
    public static final String CURSOR = "dispatch";
    /** The most bindings one owner may have. */
    public static final int MAX_BINDINGS = 100;

    private final Ledger ledger;
    private final Store store;

    /** The handlers over the ledger's store. */
    public Handlers(Ledger ledger) {
        this.ledger = ledger;
        this.store = ledger.store();
    }

    /**
     * Whether a grant of {@code tenant}'s claim waits for its handlers: the tenant has an enabled
     * {@code claim.granted} binding under {@code ALL} or {@code ANY}. A job of such a grant goes to its runner only
     * once they acknowledged it, and fails (its tokens returned) if they refuse it.
     */
    public static boolean awaitsGrantAck(Store store, String tenant) {
        return store.bindings().values(new HandlerFilters.BindingsOf(tenant)).stream().anyMatch(b -> b.enabled()
                && "claim.granted".equals(b.eventType()) && b.ackPolicy() != Binding.AckPolicy.BEFORE);
    }

    /** Applies what a settled acknowledgement means for its producer: a granted job's start, or its failure. */
    private void acknowledged(Delivery d) {
        if (d == null || d.ack() == Delivery.Ack.PENDING || d.owner() == null
                || !"claim.granted".equals(d.event().type()) || d.id().startsWith("replay|")) {
            return;
        }
        String why = d.ack() == Delivery.Ack.ACKED ? null : "HANDLERS_FAILED: " + d.steps().stream()
                .map(s -> s.binding() + " " + s.lastError()).reduce((a, b) -> a + "; " + b).orElse("");
        new Jobs(ledger).handlersAnswered(d.event().subject(), d.ack() == Delivery.Ack.ACKED, why);
    }

    /**
     * What a binding is asked to be.
     *
     * @param owner      the tenant, or {@code null} for a cluster-wide binding (the operator's)
     * @param eventType  the event type
     * @param filter     payload fields that must match, or empty
     * @param webhookUrl an http(s) URL, or {@code null}
     * @param address    an event-bus address, or {@code null}
     * @param priority   0 to 1000
     * @param ackPolicy  the policy
     * @param timeoutMs  100 to 60 000
     * @param attempts   1 to 20
     * @param backoffMs  10 to 600 000
     * @param source     {@code api} or {@code file}
     */
    public record Spec(String owner, String eventType, Map<String, String> filter, String webhookUrl, String address,
                       int priority, Binding.AckPolicy ackPolicy, long timeoutMs, int attempts, long backoffMs,
                       String source) {
    }

    /** Validates and stores a new binding with {@code secret}; the same id again answers it as stored. */
    public Result<Binding> create(String id, Spec s, String secret) {
        Binding existing = store.bindings().get(id);
        if (existing != null) {
            return Objects.equals(existing.owner(), s.owner()) ? Result.ok(existing)
                    : Result.rejected(Rejection.Code.ALREADY_EXISTS, "binding id " + id + " is taken");
        }
        Rejection bad = validate(s);
        if (bad != null) {
            return Result.rejected(bad);
        }
        long now = ledger.clock().millis();
        Binding b = new Binding(id, s.owner(), s.eventType(), new TreeMap<>(s.filter()), s.webhookUrl(), s.address(),
                s.priority(), s.ackPolicy(), s.timeoutMs(), s.attempts(), s.backoffMs(), true, secret, null, 0, 0, null,
                0, now, s.source());
        boolean created = store.bindings().execute(id, new CreateNew<>(b));
        return created ? Result.ok(b) : Result.ok(store.bindings().get(id));
    }

    private Rejection validate(Spec s) {
        if (!EVENT_TYPES.contains(s.eventType())) {
            return Rejection.of(Rejection.Code.INVALID, "eventType '" + s.eventType() + "' is not one of "
                    + new java.util.TreeSet<>(EVENT_TYPES));
        }
        if ((s.webhookUrl() == null) == (s.address() == null)) {
            return Rejection.of(Rejection.Code.INVALID, "name exactly one of webhook.url and address");
        }
        if (s.webhookUrl() != null) {
            try {
                URI u = new URI(s.webhookUrl());
                if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                    return Rejection.of(Rejection.Code.INVALID, "webhook.url must be an absolute http(s) URL");
                }
            } catch (java.net.URISyntaxException e) {
                return Rejection.of(Rejection.Code.INVALID, "webhook.url is not a URL: " + e.getMessage());
            }
        }
        if (s.priority() < 0 || s.priority() > 1000 || s.timeoutMs() < 100 || s.timeoutMs() > 60_000
                || s.attempts() < 1 || s.attempts() > 20 || s.backoffMs() < 10 || s.backoffMs() > 600_000) {
            return Rejection.of(Rejection.Code.INVALID, "priority 0..1000, timeoutMs 100..60000, retry.attempts 1..20, "
                    + "retry.backoffMs 10..600000");
        }
        List<Binding> mine = list(s.owner());
        if (mine.size() >= MAX_BINDINGS) {
            return Rejection.of(Rejection.Code.WRONG_STATE, "at most " + MAX_BINDINGS + " bindings per owner");
        }
        for (Binding other : mine) {
            if (other.eventType().equals(s.eventType()) && other.ackPolicy() != s.ackPolicy()
                    && !(s.source().equals("file") && "file".equals(other.source()))) {
                return Rejection.of(Rejection.Code.WRONG_STATE, "the " + s.eventType() + " bindings of this owner use "
                        + "ackPolicy " + other.ackPolicy() + " (one policy per event type): use it, or remove them first");
            }
        }
        return null;
    }

    /**
     * Makes the file's bindings what the file says (the file is their source of truth): each one is created, or
     * replaced when its declaration changed (its counters start again), or only enabled/disabled; the file
     * bindings the file no longer declares are removed. Ids are {@code file:<id>}. Answers, per declared id, null
     * if it is in place, else why not (it is skipped; the others still apply).
     */
    public Map<String, Rejection> applyFile(Map<String, Spec> declared, Map<String, String> secrets,
                                            Map<String, Boolean> enabled) {
        Map<String, Rejection> out = new LinkedHashMap<>();
        Set<String> keep = new java.util.HashSet<>();
        for (var e : declared.entrySet()) {
            String id = "file:" + e.getKey();
            keep.add(id);
            Spec s = e.getValue();
            Binding current = store.bindings().get(id);
            if (current != null && sameDeclaration(current, s, secrets.get(e.getKey()))) {
                if (current.enabled() != enabled.getOrDefault(e.getKey(), true)) {
                    update(id, enabled.getOrDefault(e.getKey(), true), null);
                }
                out.put(e.getKey(), null);
                continue;
            }
            if (current != null) {
                delete(id);
            }
            Result<Binding> r = create(id, s, secrets.get(e.getKey()));
            if (r.ok() && !enabled.getOrDefault(e.getKey(), true)) {
                update(id, false, null);
            }
            out.put(e.getKey(), r.rejection());
        }
        for (Binding b : all()) {
            if ("file".equals(b.source()) && !keep.contains(b.id())) {
                delete(b.id());
            }
        }
        return out;
    }

    private static boolean sameDeclaration(Binding b, Spec s, String secret) {
        return Objects.equals(b.owner(), s.owner()) && b.eventType().equals(s.eventType())
                && b.filter().equals(new TreeMap<>(s.filter())) && Objects.equals(b.webhookUrl(), s.webhookUrl())
                && Objects.equals(b.address(), s.address()) && b.priority() == s.priority()
                && b.ackPolicy() == s.ackPolicy() && b.timeoutMs() == s.timeoutMs() && b.attempts() == s.attempts()
                && b.backoffMs() == s.backoffMs() && Objects.equals(b.secret(), secret);
    }

    /** Returns the bindings of {@code owner} ({@code null}: the cluster-wide ones), by type then priority. */
    public List<Binding> list(String owner) {
        List<Binding> out = new ArrayList<>(store.bindings().values(new HandlerFilters.BindingsOf(owner)));
        out.sort(Comparator.comparing(Binding::eventType).thenComparing(Comparator.comparingInt(Binding::priority)
                .reversed()).thenComparing(Binding::id));
        return out;
    }

    /** Returns every binding. */
    public List<Binding> all() {
        return new ArrayList<>(store.bindings().entries().values());
    }

    /** Returns the binding, or {@code null}. */
    public Binding get(String id) {
        return store.bindings().get(id);
    }

    /** Enables or disables a binding at run time, and/or changes its priority. */
    public Result<Binding> update(String id, Boolean enabled, Integer priority) {
        if (priority != null && (priority < 0 || priority > 1000)) {
            return Result.rejected(Rejection.Code.INVALID, "priority must be between 0 and 1000");
        }
        Binding b = store.bindings().execute(id, new HandlerCommands.Update(enabled, priority));
        return b == null ? Result.rejected(Rejection.Code.NOT_FOUND, "no handler " + id) : Result.ok(b);
    }

    /** Removes a binding (its pending steps are skipped by the dispatcher). */
    public boolean delete(String id) {
        return Boolean.TRUE.equals(store.bindings().execute(id, new HandlerCommands.Remove<>()));
    }

    /** Returns a binding's dead letters, oldest first. */
    public List<DeadLetter> deadLetters(String binding) {
        List<DeadLetter> out = new ArrayList<>(store.deadLetters().values(new HandlerFilters.DeadLettersOf(binding)));
        out.sort(Comparator.comparingLong(DeadLetter::at).thenComparing(DeadLetter::id));
        return out;
    }

    /**
     * Delivers a binding's dead letters again, each as a new delivery to that binding alone (its ack was decided
     * long ago: replays are {@code BEFORE}); answers how many.
     */
    public int replay(String binding) {
        return ledger.atomically(l -> new Handlers(l).replayNow(binding));
    }

    private int replayNow(String binding) {
        Binding b = store.bindings().get(binding);
        if (b == null) {
            return 0;
        }
        long now = ledger.clock().millis();
        int n = 0;
        for (DeadLetter dl : deadLetters(binding)) {
            Event e = dl.event();
            Event again = new Event(e.id(), e.type(), e.time(), e.tenant(), e.subject(), e.payload());
            Delivery d = Delivery.of(dl.seq(), again, b.owner(), Binding.AckPolicy.BEFORE, List.of(b), now);
            Delivery replay = new Delivery("replay|" + dl.id() + "|" + now, d.seq(), d.event(), d.owner(), d.policy(),
                    d.steps(), d.ack(), d.ackedAt(), d.createdAt());
            store.deliveries().execute(replay.id(), new CreateIfAbsent<>(replay));
            store.deadLetters().execute(dl.id(), new HandlerCommands.Remove<>());
            n++;
        }
        return n;
    }

    // ---------------------------------------------------------------- dispatch

    /**
     * Hands the events after the cursor to their handlers: at most {@code max} events; answers how many were read.
     */
    public int ingest(int max) {
        HandlerCommands.Cursor c = store.cursors().get(CURSOR);
        long after = c == null ? -1 : c.seq();
        long newest = store.events().newest();
        if (newest <= after) {
            return 0;
        }
        // a binding seen here means the events are read: no command to find it out again (checked again inside it)
        if (!store.bindings().any(new Table.All<>())
                && ledger.atomically(l -> new Handlers(l).passOverNow(after, newest))) {
            return (int) Math.min(newest - after, Integer.MAX_VALUE);
        }
        // the log is read here, never on the engine's thread (a read of the log may wait on another member)
        List<Event.Logged> events = new ArrayList<>(store.events().read(after, max));
        if (events.isEmpty()) {
            return 0;
        }
        return ledger.atomically(l -> new Handlers(l).ingestNow(after, events));
    }

    /**
     * Moves the cursor past the events up to {@code newest} without reading them, when none could be handed to anyone:
     * no binding exists and no job waits for its handlers' answer (what reading them would do is then only that). A
     * broker with no handler so no longer reads and deserializes every event of the log (a tenth of a loaded member's
     * CPU). Answers whether it did; not if another ingest moved the cursor.
     */
    private boolean passOverNow(long after, long newest) {
        HandlerCommands.Cursor c = store.cursors().get(CURSOR);
        if ((c == null ? -1 : c.seq()) != after || store.bindings().any(new Table.All<>())
                || store.jobs().any(new JobFilters.AwaitingHandlers())) {
            return false;
        }
        store.cursors().execute(CURSOR, new HandlerCommands.Advance(newest));
        return true;
    }

    /** Hands {@code events}, read after {@code after}, to their handlers, unless another ingest moved the cursor. */
    private int ingestNow(long after, List<Event.Logged> events) {
        HandlerCommands.Cursor c = store.cursors().get(CURSOR);
        if ((c == null ? -1 : c.seq()) != after) {
            return 0;
        }
        List<Binding> bindings = all();
        long now = ledger.clock().millis();
        for (Event.Logged l : events) {
            Map<String, List<Binding>> byOwner = new LinkedHashMap<>();
            for (Binding b : bindings) {
                if (b.enabled() && b.matches(l.event())) {
                    byOwner.computeIfAbsent(b.owner() == null ? "*" : b.owner(), k -> new ArrayList<>()).add(b);
                }
            }
            byOwner.forEach((owner, bs) -> {
                Delivery d = Delivery.of(l.seq(), l.event(), bs.get(0).owner(), bs.get(0).ackPolicy(), bs, now);
                acknowledged(store.deliveries().execute(d.id(), new CreateIfAbsent<>(d)));
            });
            Event e = l.event();
            List<Binding> tenants = byOwner.get(e.tenant() == null ? "" : e.tenant());
            if ("claim.granted".equals(e.type()) && e.tenant() != null
                    && (tenants == null || tenants.get(0).ackPolicy() == Binding.AckPolicy.BEFORE)) {
                // no handler of the tenant will answer (removed or disabled since): a waiting job goes ahead
                new Jobs(ledger).handlersAnswered(e.subject(), true, null);
            }
        }
        store.cursors().execute(CURSOR, new HandlerCommands.Advance(events.get(events.size() - 1).seq()));
        return events.size();
    }

    /** Returns the deliveries not yet settled, in log order. */
    public List<Delivery> pending() {
        List<Delivery> out = new ArrayList<>(store.deliveries().values(new HandlerFilters.Unsettled()));
        out.sort(Comparator.comparingLong(Delivery::seq).thenComparing(Delivery::id));
        return out;
    }

    /** Returns the delivery, or {@code null}. */
    public Delivery delivery(String id) {
        return store.deliveries().get(id);
    }

    /**
     * Records an attempt of {@code binding} on a delivery: the binding's counters and session, the delivery's step
     * (retry, or settled), and a dead letter when the step failed for good. Answers the delivery afterwards.
     */
    public Delivery attempted(String deliveryId, String binding, boolean ok, String error, String session) {
        return ledger.atomically(l -> new Handlers(l).attemptedNow(deliveryId, binding, ok, error, session));
    }

    private Delivery attemptedNow(String deliveryId, String binding, boolean ok, String error, String session) {
        long now = ledger.clock().millis();
        Binding b = store.bindings().execute(binding, new HandlerCommands.Record(ok, error, session, now));
        if (b == null) {
            return skipNow(deliveryId, binding);
        }
        Delivery d = store.deliveries().execute(deliveryId, new HandlerCommands.Attempted(binding, ok, error,
                b.attempts(), b.backoffMs(), now));
        acknowledged(d);
        if (d != null) {
            for (Delivery.Step s : d.steps()) {
                if (s.binding().equals(binding) && s.state() == Delivery.StepState.FAILED) {
                    DeadLetter dl = new DeadLetter(deliveryId + "|" + binding, binding, b.owner(), d.seq(), d.event(),
                            s.attempts(), s.lastError(), now);
                    store.deadLetters().execute(dl.id(), new CreateIfAbsent<>(dl));
                }
            }
        }
        return d;
    }

    /** Skips a binding's step (it was disabled or removed); answers the delivery afterwards. */
    public Delivery skip(String deliveryId, String binding) {
        return ledger.atomically(l -> new Handlers(l).skipNow(deliveryId, binding));
    }

    private Delivery skipNow(String deliveryId, String binding) {
        Delivery d = store.deliveries().execute(deliveryId, new HandlerCommands.Skip(binding, ledger.clock().millis()));
        acknowledged(d);
        return d;
    }

    /** Removes settled deliveries older than the retention time; answers how many. */
    public int purge() {
        long cutoff = ledger.clock().millis() - ledger.settings().retentionMillis();
        int n = 0;
        for (String id : store.deliveries().localKeys(new HandlerFilters.SettledBefore(cutoff))) {
            if (Boolean.TRUE.equals(store.deliveries().execute(id, new HandlerCommands.PurgeDelivery(cutoff)))) {
                n++;
            }
        }
        return n;
    }
}
