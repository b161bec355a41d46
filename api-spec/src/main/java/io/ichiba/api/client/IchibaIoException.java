package io.ichiba.api.client;

/**
 * A call to the broker that got no answer: the connection was refused or reset, the name did not resolve, or
 * the request timed out. Its {@link #status()} is {@code 0}.
 *
 * <p>It is retryable, except when the calling thread was interrupted: then the thread's interrupt flag is set
 * again and the caller is expected to stop.
 */
public final class IchibaIoException extends IchibaException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was asked and what went wrong
     * @param cause   the {@link java.io.IOException} or {@link InterruptedException} of the transport
     */
    public IchibaIoException(String message, Throwable cause) {
        super(message, 0, null, cause);
    }

    /** Whether the call was cut short because the calling thread was interrupted. */
    public boolean interrupted() {
        return getCause() instanceof InterruptedException;
    }

    /** True unless the calling thread was interrupted: the broker may be reachable again later. */
    @Override
    public boolean retryable() {
        return !interrupted();
    }
}
