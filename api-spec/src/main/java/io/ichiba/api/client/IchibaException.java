package io.ichiba.api.client;

import io.ichiba.api.Model;

/**
 * A call to the broker that did not succeed: the broker answered with an error status (4xx, 5xx, or an
 * answer the client could not read), carrying the HTTP status and, when the body was one, the RFC 9457
 * problem.
 *
 * <p>Failures where no answer came at all (connection refused, reset, timed out) are the subclass
 * {@link IchibaIoException}, with status {@code 0}. {@link #retryable()} tells the two families of failure
 * apart from the caller's point of view: whether the same request may succeed later.
 */
public class IchibaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The problem code the broker answers while the first request with the same idempotency key still runs. */
    public static final String IDEMPOTENCY_IN_PROGRESS = "IDEMPOTENCY_IN_PROGRESS";

    private final int status;
    private final transient Model.Problem problem;

    /**
     * Creates the exception for an error answer.
     *
     * @param message what was asked and what came back
     * @param status  the HTTP status, or {@code 0} when there was no answer
     * @param problem the problem body, or {@code null} when the body was not a problem
     * @param cause   the underlying failure, or {@code null}
     */
    public IchibaException(String message, int status, Model.Problem problem, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.problem = problem;
    }

    /** The HTTP status of the answer, {@code 0} when no answer came. */
    public int status() {
        return status;
    }

    /** The problem body of the answer, or {@code null} when it had none (e.g. a proxy's HTML error page). */
    public Model.Problem problem() {
        return problem;
    }

    /** The stable problem code ({@code NEVER_FITS}, {@code FORBIDDEN}, …), or {@code null} when there is none. */
    public String code() {
        return problem == null ? null : problem.code();
    }

    /**
     * Whether the same request may succeed if sent again later: a server error (5xx), a timeout (408), too many
     * requests (429), or a retry that overtook the first request with its idempotency key (409
     * {@code IDEMPOTENCY_IN_PROGRESS}). A client error (bad input, no token, forbidden, not found, conflict)
     * will fail the same way until something else changes.
     */
    public boolean retryable() {
        return status >= 500 || status == 408 || status == 429
                || (status == 409 && IDEMPOTENCY_IN_PROGRESS.equals(code()));
    }
}
