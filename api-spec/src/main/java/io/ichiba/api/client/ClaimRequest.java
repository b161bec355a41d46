package io.ichiba.api.client;

import io.ichiba.api.Model;

import java.time.Duration;
import java.util.Objects;

/**
 * A claim being written, fluently: what it asks for and on what terms, sent by {@link #submit()} or held for a
 * block by {@link #acquire(Duration)}.
 *
 * <pre>{@code
 * ClaimHandle h = client.claim(Model.Bundle.builder().memory(4096).lock("db-orders").build())
 *         .priority(5).lease(Duration.ofMinutes(1)).idempotencyKey("job-42").submit();
 * Model.Claim granted = h.awaitGranted(Duration.ofMinutes(5));
 * }</pre>
 *
 * <p>Anything not set takes the broker's default: priority 0, a 60 s lease, the node the broker chooses, funded by
 * own and borrowed quota, and no idempotency key. A request is a plain mutable builder: use it from one thread; each
 * {@link #submit()} sends what it holds at that moment.
 */
public final class ClaimRequest {
    private final IchibaClient client;
    private final Model.Bundle bundle;
    private Integer priority;
    private Long leaseSeconds;
    private String node;
    private Model.Funding funding;
    private String idempotencyKey;

    ClaimRequest(IchibaClient client, Model.Bundle bundle) {
        this.client = Objects.requireNonNull(client, "client");
        this.bundle = Objects.requireNonNull(bundle, "bundle");
    }

    /**
     * The claim's priority, 0 to 1000: higher first (default 0).
     *
     * @throws IllegalArgumentException when out of range
     */
    public ClaimRequest priority(int priority) {
        if (priority < 0 || priority > 1000) {
            throw new IllegalArgumentException("priority must be 0 to 1000, was " + priority);
        }
        this.priority = priority;
        return this;
    }

    /**
     * How long the grant lives unless renewed (default 60 s). The broker counts whole seconds: a fraction of a
     * second is rounded up.
     *
     * @throws IllegalArgumentException when not between 1 s and 86400 s
     */
    public ClaimRequest lease(Duration lease) {
        this.leaseSeconds = ClaimHandle.seconds(lease, "lease");
        return this;
    }

    /** The node its node-local tokens must be granted on; {@code null} (the default) lets the broker choose. */
    public ClaimRequest node(String node) {
        if (node != null && node.isEmpty()) {
            throw new IllegalArgumentException("node must not be empty");
        }
        this.node = node;
        return this;
    }

    /**
     * How it is paid for (see {@link IchibaClient#submitClaim(Model.ClaimCreate, Model.Funding, String)});
     * {@code null} (the default) for own and borrowed quota.
     */
    public ClaimRequest funding(Model.Funding funding) {
        this.funding = funding;
        return this;
    }

    /**
     * Makes a retry of {@link #submit()} return the first claim and create no second one (the claim's id is
     * derived from it); {@code null} (the default) for none.
     */
    public ClaimRequest idempotencyKey(String key) {
        if (key != null && (key.isEmpty() || key.length() > 200 || key.chars().anyMatch(c -> c < 0x21 || c > 0x7E))) {
            throw new IllegalArgumentException("the idempotency key must be 1 to 200 printable ASCII characters");
        }
        this.idempotencyKey = key;
        return this;
    }

    /** The request body this builder sends now. */
    public Model.ClaimCreate toClaimCreate() {
        return new Model.ClaimCreate(bundle, priority, leaseSeconds, node, funding);
    }

    /** The idempotency key set, or {@code null}. */
    public String idempotencyKey() {
        return idempotencyKey;
    }

    /**
     * Sends the claim ({@code POST /v1/claims}) and returns its handle, whose state is the broker's first answer:
     * {@code GRANTED} when it fitted at once, else {@code QUEUED}.
     *
     * @throws IchibaException when the broker refuses it (e.g. 422 {@code NEVER_FITS}) or cannot be reached
     */
    public ClaimHandle submit() {
        return new ClaimHandle(client, client.submitClaim(toClaimCreate(), idempotencyKey));
    }

    /**
     * Submits the claim, waits for its grant and keeps it renewed until the grant is closed; the same as
     * {@link IchibaClient#acquire(ClaimRequest, Duration)}.
     */
    public Grant acquire(Duration timeout) {
        return client.acquire(this, timeout);
    }
}
