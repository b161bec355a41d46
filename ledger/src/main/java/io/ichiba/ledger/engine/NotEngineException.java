package io.ichiba.ledger.engine;

/**
 * A command sent to a member whose engine is not running: it moved (another member took over), or has not started
 * yet. Nothing of the command was applied; the sender tries the engine again where it is now.
 */
public final class NotEngineException extends RuntimeException {
    /** Creates the exception. */
    public NotEngineException(String message) {
        super(message, null, false, false);
    }
}
