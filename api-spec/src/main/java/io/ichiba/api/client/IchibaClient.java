package io.ichiba.api.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import io.ichiba.api.Model;
import io.ichiba.api.Wire;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client of the broker's REST API: node reports, pools, claims, jobs, credits and the market, one HTTP request
 * per call.
 *
 * <p>Build one per broker address and share it: it is thread-safe, and its {@link HttpClient} keeps connections
 * open between calls.
 *
 * <pre>{@code
 * IchibaClient broker = IchibaClient.builder("http://broker:8080").token(token).build();
 * Model.Claim c = broker.submitClaim(new Model.ClaimCreate(bundle, 5, 60L, null), "job-42");
 * while (c.state() == Model.ClaimState.QUEUED) {
 *     c = broker.claim(c.id(), 30);
 * }
 * }</pre>
 *
 * <p>Every call either returns the broker's answer or throws an {@link IchibaException}: for an error status
 * with its problem body, or as {@link IchibaIoException} when no answer came. The client never retries.
 *
 * <p>For schedulers there is a fluent layer on top: {@link #claim(Model.Bundle)} builds a claim and returns a
 * {@link ClaimHandle} to await, renew and release it; {@link #acquire(Model.Bundle, Duration)} holds a
 * {@link Grant} whose lease is renewed in the background until it is closed; {@link #events()} listens to the event
 * stream, reconnecting and resuming by itself.
 *
 * <pre>{@code
 * try (IchibaClient broker = IchibaClient.builder("http://broker:8080").token(token).build();
 *      Grant g = broker.acquire(Model.Bundle.builder().memory(4096).build(), Duration.ofMinutes(2))) {
 *     run(job, g.node());          // renewed every third of the lease; released at the end of the block
 * }
 * }</pre>
 *
 * <p>Notes: requests are HTTP/1.1 (no h2c upgrade dance with plain-HTTP brokers); redirects are not followed;
 * a long-poll's timeout is the request timeout plus the seconds it asks the broker to wait. The grants' renewals and
 * the event streams' idle checks run on one small pool of daemon threads that the client starts on first use;
 * {@link #close()} stops them and the event subscriptions. A client that only makes calls holds no thread and need
 * not be closed.
 */
public final class IchibaClient implements AutoCloseable {
    private static final String JSON = "application/json";
    private static final JavaType POOLS = Wire.JSON.getTypeFactory()
            .constructType(new TypeReference<Model.Items<Model.Pool>>() { });
    private static final JavaType CLAIM = Wire.JSON.getTypeFactory().constructType(Model.Claim.class);
    private static final JavaType EXPLANATION = Wire.JSON.getTypeFactory().constructType(Model.ClaimExplanation.class);
    private static final JavaType HINTS = Wire.JSON.getTypeFactory().constructType(Model.PlacementHints.class);
    private static final JavaType JOB = Wire.JSON.getTypeFactory().constructType(Model.Job.class);
    private static final JavaType JOBS = Wire.JSON.getTypeFactory()
            .constructType(new TypeReference<Model.Items<Model.Job>>() { });
    private static final JavaType MINTED = Wire.JSON.getTypeFactory().constructType(Model.Minted.class);
    private static final JavaType ROTATED = Wire.JSON.getTypeFactory().constructType(Model.TokenRotated.class);
    private static final JavaType TENANT_ACCOUNT = Wire.JSON.getTypeFactory().constructType(Model.TenantAccount.class);
    private static final JavaType STATEMENT = Wire.JSON.getTypeFactory().constructType(Model.Statement.class);
    private static final JavaType ACCOUNTS = Wire.JSON.getTypeFactory().constructType(Model.AccountList.class);
    private static final JavaType ORDER = Wire.JSON.getTypeFactory().constructType(Model.Order.class);
    private static final JavaType MARKET = Wire.JSON.getTypeFactory().constructType(Model.Market.class);
    private static final JavaType HISTORY = Wire.JSON.getTypeFactory().constructType(Model.MarketHistory.class);
    private static final JavaType LOAN = Wire.JSON.getTypeFactory().constructType(Model.Loan.class);
    private static final JavaType LOANS = Wire.JSON.getTypeFactory()
            .constructType(new TypeReference<Model.Items<Model.Loan>>() { });
    private static final JavaType RESERVATION = Wire.JSON.getTypeFactory().constructType(Model.Reservation.class);
    private static final JavaType RESERVATIONS = Wire.JSON.getTypeFactory()
            .constructType(new TypeReference<Model.Items<Model.Reservation>>() { });
    private static final JavaType TIMELINE = Wire.JSON.getTypeFactory().constructType(Model.PoolTimeline.class);
    private static final JavaType PRICE_ALERT = Wire.JSON.getTypeFactory().constructType(Model.PriceAlert.class);
    private static final JavaType PRICE_ALERTS = Wire.JSON.getTypeFactory()
            .constructType(new TypeReference<Model.Items<Model.PriceAlert>>() { });
    private static final int MAX_DETAIL = 300;
    private static final int SCHEDULER_THREADS = 4;

    private final URI base;
    private final String token;
    private final Duration requestTimeout;
    private final HttpClient http;
    private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
    private ScheduledThreadPoolExecutor scheduler;
    private boolean closed;

    private IchibaClient(Builder b) {
        this.base = b.base;
        this.token = b.token;
        this.requestTimeout = b.requestTimeout;
        HttpClient.Builder http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(b.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (b.trust != null) {
            http.sslContext(b.trust);
        }
        this.http = http.build();
    }

    /**
     * Starts a client for the broker at {@code baseUrl}, e.g. {@code http://broker:8080}; a path prefix
     * ({@code https://gw/ichiba}) is kept in front of every request's path.
     *
     * @throws IllegalArgumentException when the address is not an absolute http or https URL with a host
     */
    public static Builder builder(String baseUrl) {
        Objects.requireNonNull(baseUrl, "baseUrl");
        URI uri;
        try {
            uri = URI.create(baseUrl.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("broker URL '" + baseUrl + "' is not a URL: " + e.getMessage(), e);
        }
        return builder(uri);
    }

    /** Starts a client for the broker at {@code baseUrl}; see {@link #builder(String)}. */
    public static Builder builder(URI baseUrl) {
        return new Builder(baseUrl);
    }

    /** The broker's base address, without a trailing slash. */
    public URI baseUrl() {
        return base;
    }

    /**
     * Reports this node's capacity; the report is also the node's heartbeat ({@code PUT /v1/nodes/{node}/report}).
     *
     * @param node        the node, as the agent's token names it
     * @param allocatable kind to the amount the broker may grant (MiB for memory and disk)
     * @param free        kind to the amount measured free now
     * @return the node's pools after the report
     */
    public List<Model.Pool> report(String node, Map<String, Long> allocatable, Map<String, Long> free) {
        return report(node, new Model.NodeReport(allocatable, free));
    }

    /** Reports this node's capacity with a ready report; see {@link #report(String, Map, Map)}. */
    public List<Model.Pool> report(String node, Model.NodeReport report) {
        Objects.requireNonNull(report, "report");
        Model.Items<Model.Pool> items = send("PUT", "/v1/nodes/" + segment(node, "node") + "/report", report,
                null, requestTimeout, POOLS);
        return items.items();
    }

    /** Every pool with its capacity, granted and free amounts, sorted by id ({@code GET /v1/pools}). */
    public List<Model.Pool> pools() {
        Model.Items<Model.Pool> items = send("GET", "/v1/pools", null, null, requestTimeout, POOLS);
        return items.items();
    }

    /**
     * Claims a bundle of tokens ({@code POST /v1/claims}): the answer is {@code GRANTED} when it fitted at once,
     * else {@code QUEUED} with a reason.
     *
     * @param claim          what to claim
     * @param idempotencyKey makes a retry of this call return the first answer and create no second claim;
     *                       {@code null} for none (then a retry after an {@link IchibaIoException} may claim twice)
     */
    public Model.Claim submitClaim(Model.ClaimCreate claim, String idempotencyKey) {
        Objects.requireNonNull(claim, "claim");
        return send("POST", "/v1/claims", claim, idempotencyKey, requestTimeout, CLAIM);
    }

    /**
     * Claims a bundle of tokens paid for as {@code funding} says: {@code QUOTA} (own and borrowed quota),
     * {@code BORROW} (also bids on the book for what the quota lacks, at most {@code maxPrice}), {@code BUY} (also
     * buys what it lacks from the house at the spot price when its turn comes), {@code urgent} (with {@code BUY}:
     * buys the whole bundle at the urgent price and goes ahead of the queue). A purchase or bid the tenant cannot
     * pay for is refused (status 409, {@code INSUFFICIENT_CREDIT}); see {@link #submitClaim(Model.ClaimCreate,
     * String)}.
     *
     * @param claim          what to claim; its own {@code funding} is replaced
     * @param funding        how it is paid for, or {@code null} for own and borrowed quota
     * @param idempotencyKey as for {@link #submitClaim(Model.ClaimCreate, String)}: with it, a retry buys or bids once
     */
    public Model.Claim submitClaim(Model.ClaimCreate claim, Model.Funding funding, String idempotencyKey) {
        Objects.requireNonNull(claim, "claim");
        return submitClaim(new Model.ClaimCreate(claim.bundle(), claim.priority(), claim.leaseSeconds(), claim.node(),
                funding), idempotencyKey);
    }

    /** One claim, as it is now ({@code GET /v1/claims/{id}}). */
    public Model.Claim claim(String id) {
        return send("GET", "/v1/claims/" + segment(id, "id"), null, null, requestTimeout, CLAIM);
    }

    /**
     * One claim, long-polled: a queued claim is answered when it leaves {@code QUEUED} or after
     * {@code waitSeconds}, whichever comes first ({@code GET /v1/claims/{id}?waitSeconds=…}).
     *
     * @param waitSeconds 0 to 60
     */
    public Model.Claim claim(String id, int waitSeconds) {
        checkWait(waitSeconds);
        return send("GET", "/v1/claims/" + segment(id, "id") + "?waitSeconds=" + waitSeconds, null, null,
                requestTimeout.plusSeconds(waitSeconds), CLAIM);
    }

    /** Extends a granted claim's lease from now by its lease length ({@code POST /v1/claims/{id}/renew}). */
    public Model.Claim renew(String id) {
        return send("POST", "/v1/claims/" + segment(id, "id") + "/renew", null, null, requestTimeout, CLAIM);
    }

    /** Extends a granted claim's lease from now by {@code leaseSeconds} (1 to 86400). */
    public Model.Claim renew(String id, long leaseSeconds) {
        return send("POST", "/v1/claims/" + segment(id, "id") + "/renew", new Model.Renew(leaseSeconds), null,
                requestTimeout, CLAIM);
    }

    /** Releases a granted claim; its tokens return. Releasing again answers the same final state. */
    public Model.Claim release(String id) {
        return send("POST", "/v1/claims/" + segment(id, "id") + "/release", null, null, requestTimeout, CLAIM);
    }

    /** Cancels a queued or granted claim ({@code DELETE /v1/claims/{id}}); an ended claim is answered unchanged. */
    public Model.Claim cancel(String id) {
        return send("DELETE", "/v1/claims/" + segment(id, "id"), null, null, requestTimeout, CLAIM);
    }

    /**
     * Why one of the caller's claims waits ({@code GET /v1/claims/{id}/explain}): what is missing on which node, who
     * holds it, when it frees, its place in the queue and what buying would cost; for a granted or ended claim, only
     * the claim.
     */
    public Model.ClaimExplanation explain(String id) {
        return send("GET", "/v1/claims/" + segment(id, "id") + "/explain", null, null, requestTimeout, EXPLANATION);
    }

    /**
     * Placement hints ({@code POST /v1/placement/hints}): every node ranked for one stage, or a plan for several
     * stages. Reserves and changes nothing.
     */
    public Model.PlacementHints placementHints(Model.HintsRequest request) {
        Objects.requireNonNull(request, "request");
        return send("POST", "/v1/placement/hints", request, null, requestTimeout, HINTS);
    }

    // ---------------------------------------------------------------- for schedulers

    /**
     * Starts a claim of {@code bundle}, to be set up fluently and sent by {@link ClaimRequest#submit()}:
     * {@code client.claim(bundle).priority(5).lease(Duration.ofMinutes(1)).submit()}.
     */
    public ClaimRequest claim(Model.Bundle bundle) {
        return new ClaimRequest(this, bundle);
    }

    /**
     * A handle of a claim the caller has already submitted (e.g. listed by {@code GET /v1/claims}), to wait for,
     * renew, release or cancel it; asks nothing.
     */
    public ClaimHandle handle(Model.Claim claim) {
        return new ClaimHandle(this, claim);
    }

    /**
     * Claims {@code bundle} with the broker's defaults (priority 0, 60 s lease), waits for the grant and holds it; see
     * {@link #acquire(ClaimRequest, Duration)}.
     */
    public Grant acquire(Model.Bundle bundle, Duration timeout) {
        return acquire(claim(bundle), timeout);
    }

    /**
     * Submits {@code request}, waits up to {@code timeout} for its grant, and returns the {@link Grant}, renewed in
     * the background every third of its lease until it is closed (which releases it).
     *
     * <p>A claim not granted in time is cancelled before the exception is thrown, so it never holds tokens nobody
     * uses; so is one whose wait failed for any other reason (a broken connection): the cancel is then a best effort,
     * and its own failure is added to the thrown exception as suppressed.
     *
     * @throws NotGrantedException when it is still queued at the timeout ({@code timedOut()}; then cancelled), or
     *                             ended before its grant
     * @throws IchibaException     when the broker refused the claim or could not be reached
     * @throws IllegalStateException when the client is closed
     */
    public Grant acquire(ClaimRequest request, Duration timeout) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(timeout, "timeout");
        scheduler(); // fails before claiming anything when the client is closed
        ClaimHandle h = request.submit();
        try {
            h.awaitGranted(timeout);
            return Grant.hold(this, h);
        } catch (RuntimeException e) {
            try {
                h.cancel();
            } catch (RuntimeException cancelFailed) {
                e.addSuppressed(cancelFailed);
            }
            throw e;
        }
    }

    /**
     * Starts a subscription to the event stream ({@code GET /v1/events} as server-sent events): choose the types and
     * where to start, then {@link EventStream#listen(EventListener)}. A tenant's token sees its own events, the
     * operator's every event.
     */
    public EventStream events() {
        return new EventStream(this);
    }

    /**
     * Stops the client's background work: every grant's renewals (their leases then run out unless released) and
     * every event subscription. Calls still work afterwards; new grants and subscriptions are refused. Idempotent.
     */
    @Override
    public void close() {
        ScheduledThreadPoolExecutor s;
        synchronized (this) {
            closed = true;
            s = scheduler;
        }
        for (Subscription sub : List.copyOf(subscriptions)) {
            sub.close();
        }
        if (s != null) {
            s.shutdownNow();
        }
    }

    /** The client's pool of daemon threads for renewals and idle checks, started on first use. */
    synchronized ScheduledExecutorService scheduler() {
        if (closed) {
            throw new IllegalStateException("the client is closed");
        }
        if (scheduler == null) {
            AtomicInteger n = new AtomicInteger();
            scheduler = new ScheduledThreadPoolExecutor(SCHEDULER_THREADS, r -> {
                Thread t = new Thread(r, "ichiba-client-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            scheduler.setRemoveOnCancelPolicy(true);
            scheduler.setKeepAliveTime(30, TimeUnit.SECONDS);
            scheduler.allowCoreThreadTimeOut(true);
        }
        return scheduler;
    }

    synchronized void opened(Subscription s) {
        if (closed) {
            throw new IllegalStateException("the client is closed");
        }
        subscriptions.add(s);
    }

    void closed(Subscription s) {
        subscriptions.remove(s);
    }

    /**
     * Opens the event stream: {@code GET /v1/events?…} with {@code Accept: text/event-stream} and, when resuming,
     * {@code Last-Event-ID}. The request timeout covers the answer's headers only; the body is read as it comes.
     *
     * @return the stream's body, to be read line by line and closed
     */
    InputStream openEvents(String query, String lastEventId) {
        String what = "GET " + base + "/v1/events" + query;
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/events" + query))
                .timeout(requestTimeout)
                .header("Accept", "text/event-stream, application/problem+json")
                .header("Cache-Control", "no-cache");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> response;
        try {
            response = http.send(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new IchibaIoException(what + ": no answer: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IchibaIoException(what + ": interrupted", e);
        }
        int status = response.statusCode();
        if (status >= 200 && status <= 299) {
            return response.body();
        }
        byte[] bytes;
        try (InputStream in = response.body()) {
            bytes = in.readNBytes(64 * 1024);
        } catch (IOException e) {
            bytes = new byte[0];
        }
        throw failure(what, status, bytes);
    }

    // ---------------------------------------------------------------- jobs

    /**
     * Submits a job ({@code POST /v1/jobs}): the broker claims its bundle, and the runner of the node where the
     * claim is granted starts the command. The answer is {@code QUEUED}, or {@code STARTING} when it fitted at once.
     *
     * @param job            the command, its environment and its bundle
     * @param idempotencyKey makes a retry of this call return the first job and submit no second one; {@code null}
     *                       for none
     */
    public Model.Job submitJob(Model.JobCreate job, String idempotencyKey) {
        Objects.requireNonNull(job, "job");
        return send("POST", "/v1/jobs", job, idempotencyKey, requestTimeout, JOB);
    }

    /** One job, as it is now ({@code GET /v1/jobs/{id}}). */
    public Model.Job job(String id) {
        return send("GET", "/v1/jobs/" + segment(id, "id"), null, null, requestTimeout, JOB);
    }

    /**
     * One job, long-polled: a job that has not ended is answered when its state changes or after
     * {@code waitSeconds}, whichever comes first ({@code GET /v1/jobs/{id}?waitSeconds=…}).
     *
     * @param waitSeconds 0 to 60
     */
    public Model.Job job(String id, int waitSeconds) {
        checkWait(waitSeconds);
        return send("GET", "/v1/jobs/" + segment(id, "id") + "?waitSeconds=" + waitSeconds, null, null,
                requestTimeout.plusSeconds(waitSeconds), JOB);
    }

    /** The caller's jobs, oldest first; the operator's token sees every tenant's ({@code GET /v1/jobs}). */
    public List<Model.Job> jobs() {
        Model.Items<Model.Job> items = send("GET", "/v1/jobs", null, null, requestTimeout, JOBS);
        return items.items();
    }

    /**
     * The caller's jobs in one state, oldest first ({@code GET /v1/jobs?state=…}).
     *
     * @param state {@code QUEUED}, {@code STARTING}, {@code RUNNING}, {@code SUCCEEDED}, {@code FAILED},
     *              {@code CANCELLED} or {@code LOST}; {@code null} for every state
     */
    public List<Model.Job> jobs(String state) {
        if (state == null) {
            return jobs();
        }
        Model.Items<Model.Job> items = send("GET", "/v1/jobs?state=" + segment(state, "state"), null, null,
                requestTimeout, JOBS);
        return items.items();
    }

    /**
     * Cancels a job ({@code DELETE /v1/jobs/{id}}): one not started ends at once ({@code CANCELLED}); a running one
     * is answered with {@code cancelRequested} while its runner stops the process. An ended job is answered unchanged.
     */
    public Model.Job cancelJob(String id) {
        return send("DELETE", "/v1/jobs/" + segment(id, "id"), null, null, requestTimeout, JOB);
    }

    /**
     * The node's {@code STARTING} and {@code RUNNING} jobs, for its runner ({@code GET /v1/nodes/{node}/jobs}; the
     * agent of that node only). The broker answers at once when a job is {@code STARTING} or has a cancel request,
     * else when one does, or after {@code waitSeconds}.
     *
     * @param waitSeconds 0 to 60
     */
    public List<Model.Job> nodeJobs(String node, int waitSeconds) {
        checkWait(waitSeconds);
        Model.Items<Model.Job> items = send("GET", "/v1/nodes/" + segment(node, "node") + "/jobs?waitSeconds="
                + waitSeconds, null, null, requestTimeout.plusSeconds(waitSeconds), JOBS);
        return items.items();
    }

    /**
     * Tells the broker the runner is about to start the job's process ({@code POST /v1/jobs/{id}/start}):
     * {@code STARTING} becomes {@code RUNNING}. The runner starts the process only after this answers; an
     * {@link IchibaException} with status 409 means the job must not start (cancelled, ended, not on this node).
     * Starting a job that already runs on this node answers it again.
     */
    public Model.Job startJob(String id, String limits) {
        return send("POST", "/v1/jobs/" + segment(id, "id") + "/start", limits == null ? null
                : new Model.JobStart(limits), null, requestTimeout, JOB);
    }

    /** As {@link #startJob(String, String)}, saying nothing of limits. */
    public Model.Job startJob(String id) {
        return startJob(id, null);
    }

    /**
     * Renews the lease of a running job's claim by its lease length ({@code POST /v1/jobs/{id}/renew}); status 409
     * means the claim is no longer granted (the lease ran out, the node was lost, the job was cancelled).
     */
    public Model.Job renewJob(String id) {
        return send("POST", "/v1/jobs/" + segment(id, "id") + "/renew", null, null, requestTimeout, JOB);
    }

    /**
     * Reports that the job's process ended, or could not start ({@code POST /v1/jobs/{id}/finish}): the job ends
     * ({@code SUCCEEDED} on exit 0, {@code CANCELLED} if a cancel was asked for, else {@code FAILED}) and its tokens
     * return. Finishing an ended job answers it unchanged, so a retry is safe.
     */
    public Model.Job finishJob(String id, Model.JobFinish finish) {
        Objects.requireNonNull(finish, "finish");
        return send("POST", "/v1/jobs/" + segment(id, "id") + "/finish", finish, null, requestTimeout, JOB);
    }

    // ---------------------------------------------------------------- credits

    /**
     * Mints credits for a tenant ({@code POST /v1/tenants/{id}/credits}; the operator only): one journal entry
     * from the issue account to the tenant's.
     *
     * @param tenant         the tenant
     * @param amount         credits, minor units (1 to 10^15)
     * @param memo           what they are for (shown on the statement), or {@code null}
     * @param idempotencyKey makes a retry of this call return the first answer and mint nothing again; the entry's
     *                       id is derived from it. {@code null} for none (then a retry after an
     *                       {@link IchibaIoException} may mint twice)
     * @return the entry and the tenant's balance after it
     */
    public Model.Minted mint(String tenant, long amount, String memo, String idempotencyKey) {
        return send("POST", "/v1/tenants/" + segment(tenant, "tenant") + "/credits",
                new Model.CreditMint(amount, memo), idempotencyKey, requestTimeout, MINTED);
    }

    /**
     * Gives a tenant a new token and revokes its old ones on every member ({@code POST /v1/tenants/{id}/rotate-token};
     * the tenant itself or the operator). This client keeps sending the token it was built with: build another with
     * the new one.
     *
     * @param idempotencyKey makes a retry answer the first answer, without the token ({@code tokenIssuedOnce}); or
     *                       {@code null}
     * @return the new token
     */
    public Model.TokenRotated rotateTenantToken(String tenant, String idempotencyKey) {
        return send("POST", "/v1/tenants/" + segment(tenant, "tenant") + "/rotate-token", null, idempotencyKey,
                requestTimeout, ROTATED);
    }

    /**
     * Sets a tenant's credit limit ({@code PATCH /v1/tenants/{id}}; the operator only): how far below zero its
     * balance may go. A limit the tenant is already past is refused (status 409, {@code INSUFFICIENT_CREDIT}).
     *
     * @return the tenant's account with the new limit
     */
    public Model.TenantAccount setCreditLimit(String tenant, long creditLimit) {
        return send("PATCH", "/v1/tenants/" + segment(tenant, "tenant"), new Model.TenantUpdate(creditLimit), null,
                requestTimeout, TENANT_ACCOUNT);
    }

    /** A tenant's credit account and quota ({@code GET /v1/tenants/{id}/account}; that tenant or the operator). */
    public Model.TenantAccount account(String tenant) {
        return send("GET", "/v1/tenants/" + segment(tenant, "tenant") + "/account", null, null, requestTimeout,
                TENANT_ACCOUNT);
    }

    /**
     * One page of a tenant's statement, oldest line first ({@code GET /v1/tenants/{id}/statement}; that tenant or
     * the operator).
     *
     * @param from   the earliest time (inclusive), or {@code null}
     * @param to     the latest time (exclusive), or {@code null}
     * @param cursor a previous page's {@link Model.Statement#next()}, or {@code null} for the first page
     * @param limit  lines per page, 1 to 1000; {@code null} for the broker's default (100)
     */
    public Model.Statement statement(String tenant, java.time.Instant from, java.time.Instant to, String cursor,
                                     Integer limit) {
        if (limit != null && (limit < 1 || limit > 1000)) {
            throw new IllegalArgumentException("limit must be 1 to 1000, was " + limit);
        }
        StringBuilder q = new StringBuilder();
        if (from != null) {
            q.append("&from=").append(segment(from.toString(), "from"));
        }
        if (to != null) {
            q.append("&to=").append(segment(to.toString(), "to"));
        }
        if (cursor != null) {
            q.append("&cursor=").append(segment(cursor, "cursor"));
        }
        if (limit != null) {
            q.append("&limit=").append(limit);
        }
        String query = q.length() == 0 ? "" : "?" + q.substring(1);
        return send("GET", "/v1/tenants/" + segment(tenant, "tenant") + "/statement" + query, null, null,
                requestTimeout, STATEMENT);
    }

    /** Every credit account and what was minted ({@code GET /v1/accounts}; the operator only). */
    public Model.AccountList accounts() {
        return send("GET", "/v1/accounts", null, null, requestTimeout, ACCOUNTS);
    }

    /**
     * Sets the most a tenant may lend and offer of each kind at once ({@code PATCH /v1/tenants/{id}}; the operator
     * only). The map replaces the whole limit; a kind absent has no limit beyond the tenant's quota.
     *
     * @return the tenant's account with the new limit
     */
    public Model.TenantAccount setLendingLimit(String tenant, Map<String, Long> lendingLimit) {
        Objects.requireNonNull(lendingLimit, "lendingLimit");
        return send("PATCH", "/v1/tenants/" + segment(tenant, "tenant"), new Model.TenantUpdate(null, lendingLimit),
                null, requestTimeout, TENANT_ACCOUNT);
    }

    // ---------------------------------------------------------------- market

    /**
     * Offers to lend quota ({@code POST /v1/market/offers}; a tenant): {@code amount} of {@code kind} for up to
     * {@code durationSeconds} at {@code minPrice} or more per unit-hour. The amount is set aside at once; the offer
     * matches resting bids (at their price) and the rest rests until it fills, is cancelled or expires. Quota the
     * tenant may not lend is refused (status 409, {@code NOT_LENDABLE}).
     *
     * @param idempotencyKey makes a retry return the first answer and place nothing again (the order's id is
     *                       derived from it); {@code null} for none
     * @return the offer, with the fills it made
     */
    public Model.Order placeOffer(Model.OfferCreate offer, String idempotencyKey) {
        Objects.requireNonNull(offer, "offer");
        return send("POST", "/v1/market/offers", offer, idempotencyKey, requestTimeout, ORDER);
    }

    /**
     * Bids to borrow quota ({@code POST /v1/market/bids}; a tenant): {@code amount} of {@code kind} for
     * {@code durationSeconds} at {@code maxPrice} or less per unit-hour. The most it can cost
     * ({@code maxPrice × amount × durationSeconds / 3600}, rounded up) goes into escrow at once; one the tenant
     * cannot pay for is refused (status 409, {@code INSUFFICIENT_CREDIT}). Fills pay the resting offer's price; the
     * unspent part of the hold returns when the bid ends.
     *
     * @param idempotencyKey makes a retry return the first answer and hold nothing again; {@code null} for none
     * @return the bid, with the fills it made
     */
    public Model.Order placeBid(Model.BidCreate bid, String idempotencyKey) {
        Objects.requireNonNull(bid, "bid");
        return send("POST", "/v1/market/bids", bid, idempotencyKey, requestTimeout, ORDER);
    }

    /** One of the caller's offers, with its fills ({@code GET /v1/market/offers/{id}}). */
    public Model.Order offer(String id) {
        return send("GET", "/v1/market/offers/" + segment(id, "id"), null, null, requestTimeout, ORDER);
    }

    /** One of the caller's bids, with its fills ({@code GET /v1/market/bids/{id}}). */
    public Model.Order bid(String id) {
        return send("GET", "/v1/market/bids/" + segment(id, "id"), null, null, requestTimeout, ORDER);
    }

    /**
     * Cancels an offer's unfilled part ({@code DELETE /v1/market/offers/{id}}; its owner): the rest of its earmark
     * returns, what is lent stays lent. An offer already final is answered as it is.
     *
     * @param idempotencyKey makes a retry return the first answer; {@code null} for none
     */
    public Model.Order cancelOffer(String id, String idempotencyKey) {
        return send("DELETE", "/v1/market/offers/" + segment(id, "id"), null, idempotencyKey, requestTimeout, ORDER);
    }

    /**
     * Cancels a bid's unfilled part ({@code DELETE /v1/market/bids/{id}}; its owner): the unspent part of its hold
     * returns from escrow. A bid already final is answered as it is.
     *
     * @param idempotencyKey makes a retry return the first answer; {@code null} for none
     */
    public Model.Order cancelBid(String id, String idempotencyKey) {
        return send("DELETE", "/v1/market/bids/" + segment(id, "id"), null, idempotencyKey, requestTimeout, ORDER);
    }

    /**
     * A kind's market: ten price levels a side, the spot and urgent prices, the last trade
     * ({@code GET /v1/market/{kind}}; any caller).
     */
    public Model.Market market(String kind) {
        return send("GET", "/v1/market/" + segment(kind, "kind"), null, null, requestTimeout, MARKET);
    }

    /**
     * A kind's market with {@code levels} price levels a side ({@code GET /v1/market/{kind}?levels=…}).
     *
     * @param levels 0 to 100
     */
    public Model.Market market(String kind, int levels) {
        if (levels < 0 || levels > 100) {
            throw new IllegalArgumentException("levels must be 0 to 100, was " + levels);
        }
        return send("GET", "/v1/market/" + segment(kind, "kind") + "?levels=" + levels, null, null, requestTimeout,
                MARKET);
    }

    /**
     * A kind's spot prices and trades over {@code [from, to)} in buckets of {@code stepSeconds}
     * ({@code GET /v1/market/{kind}/history}).
     *
     * @param from        the start (inclusive), or {@code null} for an hour before {@code to}
     * @param to          the end (exclusive), or {@code null} for now
     * @param stepSeconds the bucket width, 1 to 31536000 (at most 10 000 buckets)
     */
    public Model.MarketHistory marketHistory(String kind, java.time.Instant from, java.time.Instant to,
                                             long stepSeconds) {
        if (stepSeconds < 1 || stepSeconds > 31_536_000) {
            throw new IllegalArgumentException("stepSeconds must be 1 to 31536000, was " + stepSeconds);
        }
        StringBuilder q = new StringBuilder("?step=").append(stepSeconds);
        if (from != null) {
            q.append("&from=").append(segment(from.toString(), "from"));
        }
        if (to != null) {
            q.append("&to=").append(segment(to.toString(), "to"));
        }
        return send("GET", "/v1/market/" + segment(kind, "kind") + "/history" + q, null, null, requestTimeout,
                HISTORY);
    }

    /**
     * The loans the caller lends or borrows, oldest first; the operator's token sees every loan
     * ({@code GET /v1/loans}). Loans bought from the house have the lender {@code house}.
     *
     * @param all also the loans that have ended (kept for the retention time)
     */
    public List<Model.Loan> loans(boolean all) {
        Model.Items<Model.Loan> items = send("GET", all ? "/v1/loans?all=true" : "/v1/loans", null, null,
                requestTimeout, LOANS);
        return items.items();
    }

    /** One loan: its lender, its borrower or the operator ({@code GET /v1/loans/{id}}). */
    public Model.Loan loan(String id) {
        return send("GET", "/v1/loans/" + segment(id, "id"), null, null, requestTimeout, LOAN);
    }

    /**
     * Recalls a loan before its term ({@code POST /v1/loans/{id}/recall}; the lender only). The borrower's grants
     * that would not fit without it are told at once ({@code PREEMPT_NOTICE}) and preempted at the deadline; escrow
     * pays the lender for the time served, less the compensation for each grant preempted.
     *
     * @param noticeSeconds seconds until the loan ends (0: at once), or {@code null} for the broker's default
     * @param idempotencyKey makes a retry return the first answer; {@code null} for none
     * @return the loan, {@code RECALLING} (or {@code ENDED} after a notice of 0)
     */
    public Model.Loan recall(String id, Long noticeSeconds, String idempotencyKey) {
        if (noticeSeconds != null && noticeSeconds < 0) {
            throw new IllegalArgumentException("noticeSeconds must not be negative, was " + noticeSeconds);
        }
        return send("POST", "/v1/loans/" + segment(id, "id") + "/recall", new Model.Recall(noticeSeconds),
                idempotencyKey, requestTimeout, LOAN);
    }

    // ---------------------------------------------------------------- reservations

    /**
     * Reserves copies of a bundle for a window ({@code POST /v1/reservations}; tenant). A window that does not fit
     * is refused with 409 {@code WINDOW_FULL}; the problem's {@code earliestStart} is the earliest that fits now.
     *
     * @param idempotencyKey makes a retry return the first answer; {@code null} for none
     */
    public Model.Reservation reserve(Model.ReservationCreate reservation, String idempotencyKey) {
        return send("POST", "/v1/reservations", reservation, idempotencyKey, requestTimeout, RESERVATION);
    }

    /** One reservation: its tenant or the operator ({@code GET /v1/reservations/{id}}). */
    public Model.Reservation reservation(String id) {
        return send("GET", "/v1/reservations/" + segment(id, "id"), null, null, requestTimeout, RESERVATION);
    }

    /** The caller's reservations by start (every tenant's for the operator) ({@code GET /v1/reservations}). */
    public List<Model.Reservation> reservations() {
        Model.Items<Model.Reservation> items = send("GET", "/v1/reservations", null, null, requestTimeout,
                RESERVATIONS);
        return items.items();
    }

    /**
     * Cancels a reservation ({@code DELETE /v1/reservations/{id}}): its bookings are withdrawn, its claims end, a
     * bought one is refunded by the broker's rule. An ended reservation is answered as it is.
     *
     * @param idempotencyKey makes a retry return the first answer; {@code null} for none
     */
    public Model.Reservation cancelReservation(String id, String idempotencyKey) {
        return send("DELETE", "/v1/reservations/" + segment(id, "id"), null, idempotencyKey, requestTimeout,
                RESERVATION);
    }

    /**
     * A pool's capacity, granted and reserved amounts over {@code [from, to)} in steps
     * ({@code GET /v1/pools/{id}/timeline}); {@code null} arguments take the broker's defaults.
     */
    public Model.PoolTimeline timeline(String pool, java.time.Instant from, java.time.Instant to, Long stepSeconds) {
        StringBuilder q = new StringBuilder();
        if (from != null) {
            q.append(q.length() == 0 ? '?' : '&').append("from=").append(segment(from.toString(), "from"));
        }
        if (to != null) {
            q.append(q.length() == 0 ? '?' : '&').append("to=").append(segment(to.toString(), "to"));
        }
        if (stepSeconds != null) {
            q.append(q.length() == 0 ? '?' : '&').append("stepSeconds=").append(stepSeconds);
        }
        return send("GET", "/v1/pools/" + segment(pool, "pool") + "/timeline" + q, null, null, requestTimeout,
                TIMELINE);
    }

    /**
     * Watches a kind's spot price for a threshold ({@code POST /v1/price-alerts}, a tenant): {@code price.crossed}
     * events each time the price crosses it in the alert's direction.
     */
    public Model.PriceAlert createPriceAlert(Model.PriceAlertCreate alert, String idempotencyKey) {
        return send("POST", "/v1/price-alerts", alert, idempotencyKey, requestTimeout, PRICE_ALERT);
    }

    /** The caller's live price alerts, oldest first ({@code GET /v1/price-alerts}). */
    public List<Model.PriceAlert> priceAlerts() {
        Model.Items<Model.PriceAlert> items = send("GET", "/v1/price-alerts", null, null, requestTimeout,
                PRICE_ALERTS);
        return items.items();
    }

    /** One of the caller's price alerts ({@code GET /v1/price-alerts/{id}}). */
    public Model.PriceAlert priceAlert(String id) {
        return send("GET", "/v1/price-alerts/" + segment(id, "id"), null, null, requestTimeout, PRICE_ALERT);
    }

    /** Deletes one of the caller's price alerts ({@code DELETE /v1/price-alerts/{id}}); twice is harmless. */
    public Model.PriceAlert deletePriceAlert(String id, String idempotencyKey) {
        return send("DELETE", "/v1/price-alerts/" + segment(id, "id"), null, idempotencyKey, requestTimeout,
                PRICE_ALERT);
    }

    @Override
    public String toString() {
        return "IchibaClient[" + base + "]";
    }

    // ---------------------------------------------------------------- transport

    private <T> T send(String method, String pathAndQuery, Object body, String idempotencyKey, Duration timeout,
                       JavaType answer) {
        String what = method + " " + base + pathAndQuery;
        HttpRequest request = request(method, pathAndQuery, body, idempotencyKey, timeout, what);
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IchibaIoException(what + ": no answer: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IchibaIoException(what + ": interrupted", e);
        }
        int status = response.statusCode();
        byte[] bytes = response.body() == null ? new byte[0] : response.body();
        if (status < 200 || status > 299) {
            throw failure(what, status, bytes);
        }
        try {
            return Wire.JSON.readValue(bytes, answer);
        } catch (IOException e) {
            throw new IchibaException(what + ": " + status + " with a body that is not the expected "
                    + answer.getRawClass().getSimpleName() + ": " + snippet(bytes), status, null, e);
        }
    }

    private HttpRequest request(String method, String pathAndQuery, Object body, String idempotencyKey,
                                Duration timeout, String what) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + pathAndQuery))
                .timeout(timeout)
                .header("Accept", JSON + ", application/problem+json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        if (body == null) {
            return b.method(method, HttpRequest.BodyPublishers.noBody()).build();
        }
        byte[] json;
        try {
            json = Wire.JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + ": the request body cannot be written as JSON", e);
        }
        return b.header("Content-Type", JSON).method(method, HttpRequest.BodyPublishers.ofByteArray(json)).build();
    }

    private static IchibaException failure(String what, int status, byte[] bytes) {
        Model.Problem problem = null;
        if (bytes.length > 0) {
            try {
                problem = Wire.JSON.readValue(bytes, Model.Problem.class);
            } catch (IOException | RuntimeException e) {
                problem = null;
            }
        }
        if (problem != null && problem.title() == null && problem.code() == null && problem.detail() == null) {
            problem = null;
        }
        StringBuilder m = new StringBuilder(what).append(": ").append(status);
        if (problem != null) {
            if (problem.code() != null) {
                m.append(' ').append(problem.code());
            }
            String says = problem.detail() != null ? problem.detail() : problem.title();
            if (says != null) {
                m.append(": ").append(says);
            }
        } else if (bytes.length > 0) {
            m.append(": ").append(snippet(bytes));
        }
        return new IchibaException(m.toString(), status, problem, null);
    }

    /** The first message along the cause chain: a refused connection's is often one level down. */
    private static String describe(IOException e) {
        Throwable t = e;
        for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getClass().getSimpleName() + ": " + t.getMessage();
            }
        }
        if (e instanceof java.net.ConnectException) {
            return "ConnectException: connection refused or address unreachable";
        }
        return e.getClass().getSimpleName();
    }

    private static String snippet(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.UTF_8).strip().replaceAll("\\s+", " ");
        return s.length() <= MAX_DETAIL ? s : s.substring(0, MAX_DETAIL) + "…";
    }

    private static void checkWait(int waitSeconds) {
        if (waitSeconds < 0 || waitSeconds > 60) {
            throw new IllegalArgumentException("waitSeconds must be 0 to 60, was " + waitSeconds);
        }
    }

    /** Percent-encodes one path segment (RFC 3986 unreserved characters stay as they are). */
    static String segment(String value, String name) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        StringBuilder out = new StringBuilder(value.length());
        for (byte c : value.getBytes(StandardCharsets.UTF_8)) {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((c >> 4) & 0xF, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return out.toString();
    }

    /** The settings of an {@link IchibaClient}: the broker's address, the bearer token and the timeouts. */
    public static final class Builder {
        private final URI base;
        private String token;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private javax.net.ssl.SSLContext trust;

        private Builder(URI baseUrl) {
            Objects.requireNonNull(baseUrl, "baseUrl");
            String scheme = baseUrl.getScheme();
            if (!baseUrl.isAbsolute() || baseUrl.getHost() == null
                    || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))) {
                throw new IllegalArgumentException("broker URL '" + baseUrl
                        + "' must be an absolute http:// or https:// URL with a host, e.g. http://broker:8080");
            }
            if (baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
                throw new IllegalArgumentException("broker URL '" + baseUrl + "' must have no query or fragment");
            }
            String s = baseUrl.toString();
            while (s.endsWith("/")) {
                s = s.substring(0, s.length() - 1);
            }
            this.base = URI.create(s);
        }

        /** The bearer token sent with every request; {@code null} (the default) sends none. */
        public Builder token(String token) {
            if (token != null && (token.isBlank() || token.chars().anyMatch(c -> c < 0x21 || c > 0x7E))) {
                throw new IllegalArgumentException("the token must be printable ASCII without spaces");
            }
            this.token = token;
            return this;
        }

        /** How long to wait for a connection to open (default 5 s). */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** How long to wait for an answer once the request is sent (default 10 s; long-polls add their wait). */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        /**
         * Trusts, for an {@code https://} broker, the certificates in the PEM file {@code caCertificates} (the CA that
         * signed the broker's certificate, or that certificate itself) instead of the JDK's default authorities.
         *
         * @throws IllegalArgumentException if the file cannot be read or holds no certificate
         */
        public Builder trustCertificates(java.nio.file.Path caCertificates) {
            Objects.requireNonNull(caCertificates, "caCertificates");
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(caCertificates)) {
                java.security.cert.CertificateFactory f = java.security.cert.CertificateFactory.getInstance("X.509");
                java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
                store.load(null, null);
                int n = 0;
                for (java.security.cert.Certificate c : f.generateCertificates(in)) {
                    store.setCertificateEntry("ca-" + n++, c);
                }
                if (n == 0) {
                    throw new IllegalArgumentException(caCertificates + " holds no PEM certificate");
                }
                javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                        javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(store);
                javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
                ssl.init(null, tmf.getTrustManagers(), null);
                this.trust = ssl;
                return this;
            } catch (java.io.IOException | java.security.GeneralSecurityException e) {
                throw new IllegalArgumentException("cannot read the CA certificates in " + caCertificates + ": "
                        + e.getMessage(), e);
            }
        }

        /** Builds the client. */
        public IchibaClient build() {
            return new IchibaClient(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + d);
            }
            return d;
        }
    }
}
