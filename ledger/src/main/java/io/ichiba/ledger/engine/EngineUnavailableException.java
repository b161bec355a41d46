package io.ichiba.ledger.engine;

/**
 * No engine could apply the command in time, or its batch could not be journaled: nothing was acknowledged, and the
 * caller may retry (with its idempotency key). The HTTP layer answers 503.
 */
public final class EngineUnavailableException extends RuntimeException {
    /** Creates the exception. */
    public EngineUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
