package io.ichiba.ledger.journal;

/** An append refused because another engine holds the journal now: its writer must stop being the engine. */
public final class FencedException extends RuntimeException {
    /** Creates the exception. */
    public FencedException(String message) {
        super(message, null, false, false);
    }
}
