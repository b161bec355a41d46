package io.ichiba.api.client;

import io.ichiba.api.Model;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A granted claim held open: its lease is renewed in the background until {@link #close()}, which releases it.
 * Made by {@link IchibaClient#acquire(Model.Bundle, Duration)}; meant for try-with-resources.
 *
 * <pre>{@code
 * try (Grant g = client.acquire(bundle, Duration.ofMinutes(2))) {
 *     g.onLost(x -> job.abort());          // the lease could not be kept: expired, preempted, node lost
 *     run(job, g.node());
 * }                                        // released here; renewals stop
 * }</pre>
 *
 * <p><b>Renewal.</b> Every third of the lease the grant renews ({@code POST /v1/claims/{id}/renew}) on the client's
 * scheduler thread. A renewal the broker refuses because the claim is no longer granted (409, or 404 once it is
 * purged) means the grant is <em>lost</em>: renewals stop, {@link #isLost()} turns true, {@link #claim()} is the
 * ended claim as the broker last answered it (state {@code EXPIRED}, {@code PREEMPTED} or {@code LOST}, and its
 * reason), and each {@link #onLost(Consumer)} callback runs once. A renewal that gets no answer, or a 5xx, is tried
 * again at the next turn, so a broker unreachable for a whole lease ends in an expiry, seen at the first renewal that
 * reaches it. The client cannot stop the caller's work when the grant is lost: that is what the callback is for.
 *
 * <p><b>Close.</b> {@link #close()} stops renewing and releases the claim; it is idempotent, and releasing a claim
 * that has already ended is not an error.
 */
public final class Grant implements AutoCloseable {
    /** The shortest pause between renewals, whatever the lease. */
    static final Duration MIN_RENEW_EVERY = Duration.ofMillis(100);

    private final ClaimHandle handle;
    private final List<Consumer<Grant>> lostCallbacks = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private ScheduledFuture<?> renewal;
    private boolean closed;
    private boolean lost;
    private volatile IchibaException lastFailure;

    private Grant(ClaimHandle handle) {
        this.handle = handle;
    }

    /** Starts renewing {@code handle}'s claim, which is granted, on {@code client}'s scheduler. */
    static Grant hold(IchibaClient client, ClaimHandle handle) {
        Grant g = new Grant(handle);
        long every = renewEvery(handle.claim().leaseSeconds()).toMillis();
        try {
            ScheduledFuture<?> f = client.scheduler().scheduleWithFixedDelay(g::renewNow, every, every,
                    TimeUnit.MILLISECONDS);
            synchronized (g.lock) {
                g.renewal = f;
            }
        } catch (RejectedExecutionException closing) {
            throw new IllegalStateException("the client is closed", closing);
        }
        return g;
    }

    /** A third of the lease, at least {@link #MIN_RENEW_EVERY}. */
    static Duration renewEvery(long leaseSeconds) {
        Duration third = Duration.ofSeconds(Math.max(1, leaseSeconds)).dividedBy(3);
        return third.compareTo(MIN_RENEW_EVERY) < 0 ? MIN_RENEW_EVERY : third;
    }

    /** The claim's id. */
    public String id() {
        return handle.id();
    }

    /** The claim as the broker answered it last (at the grant, then after each renewal). */
    public Model.Claim claim() {
        return handle.claim();
    }

    /** The handle of the claim, for calls the grant does not make itself (e.g. {@link ClaimHandle#renew(Duration)}). */
    public ClaimHandle handle() {
        return handle;
    }

    /** The node where the claim's node-local tokens are held, or {@code null} for a bundle of locks only. */
    public String node() {
        return handle.claim().node();
    }

    /** When the lease ends unless renewed, as of the last answer. */
    public Instant leaseExpiresAt() {
        return handle.claim().leaseExpiresAt();
    }

    /** Whether a renewal found the claim no longer granted (expired, preempted, node lost, cancelled elsewhere). */
    public boolean isLost() {
        synchronized (lock) {
            return lost;
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /**
     * The failure of the last renewal, or {@code null} when it succeeded: the refusal that made the grant lost, or a
     * transient failure that the next turn retries.
     */
    public IchibaException lastRenewalFailure() {
        return lastFailure;
    }

    /**
     * Runs {@code callback} once if the grant is lost — on the client's scheduler thread, or at once on the caller's
     * if it is lost already. Not called after {@link #close()}. A callback that throws does not affect others.
     *
     * @return this grant
     */
    public Grant onLost(Consumer<Grant> callback) {
        Objects.requireNonNull(callback, "callback");
        boolean now;
        synchronized (lock) {
            now = lost;
            if (!now) {
                lostCallbacks.add(callback);
            }
        }
        if (now) {
            callback.accept(this);
        }
        return this;
    }

    /** One renewal, on the scheduler. */
    private void renewNow() {
        synchronized (lock) {
            if (closed || lost) {
                return;
            }
        }
        Model.Claim c;
        try {
            c = handle.renew();
        } catch (IchibaException e) {
            lastFailure = e;
            if (e.status() == 409 || e.status() == 404) {
                lose();
            }
            return;
        } catch (RuntimeException e) {
            lastFailure = new IchibaException("renew " + id() + ": " + e, 0, null, e);
            return;
        }
        lastFailure = null;
        if (c.state() != Model.ClaimState.GRANTED) {
            lose();
        }
    }

    private void lose() {
        synchronized (lock) {
            if (closed || lost) {
                return;
            }
            lost = true;
            if (renewal != null) {
                renewal.cancel(false);
            }
        }
        if (!ClaimHandle.FINAL.contains(handle.state())) {
            try {
                handle.refresh(); // how it ended, for claim()
            } catch (IchibaException e) {
                // the refusal is in lastRenewalFailure()
            }
        }
        for (Consumer<Grant> callback : lostCallbacks) {
            try {
                callback.accept(this);
            } catch (RuntimeException e) {
                // one callback's failure is not the grant's
            }
        }
    }

    /**
     * Stops renewing and releases the claim ({@code POST /v1/claims/{id}/release}); its tokens return. Idempotent:
     * only the first call does anything. A lost grant is not released again; a claim that has already ended, or is
     * gone, is not an error.
     *
     * @throws IchibaException when the release got no answer or a server error: renewals have stopped anyway, so
     *                         the lease ends by itself at {@link #leaseExpiresAt()}
     */
    @Override
    public void close() {
        boolean release;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            release = !lost;
            if (renewal != null) {
                renewal.cancel(false);
            }
        }
        if (!release) {
            return;
        }
        try {
            handle.release();
        } catch (IchibaException e) {
            if (e.status() != 409 && e.status() != 404) {
                throw e;
            }
        }
    }

    @Override
    public String toString() {
        return "Grant[" + id() + ", node=" + node() + ", until=" + leaseExpiresAt()
                + (isLost() ? ", lost" : "") + (isClosed() ? ", closed" : "") + "]";
    }
}
