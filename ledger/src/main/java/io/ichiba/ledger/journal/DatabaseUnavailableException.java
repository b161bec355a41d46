package io.ichiba.ledger.journal;

/**
 * The journal's database could not be written or read (issue 15): nothing in the batch may be told done, and no engine
 * starts until the database answers again. The HTTP layer answers 503 {@code DATABASE_UNAVAILABLE}.
 */
public final class DatabaseUnavailableException extends JournalUnavailableException {
    /** Creates the exception. */
    public DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
