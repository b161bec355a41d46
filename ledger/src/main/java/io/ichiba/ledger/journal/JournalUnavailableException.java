package io.ichiba.ledger.journal;

/**
 * An append that could not be made, or whose outcome could not be settled (the journal's member left, too few
 * members to write, the database down): nothing in its batch may be told done.
 */
public class JournalUnavailableException extends RuntimeException {
    /** Creates the exception. */
    public JournalUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
