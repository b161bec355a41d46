package io.ichiba.agent;

/**
 * A probe could not measure its kind: the source is missing or unreadable, or what it says is malformed. The
 * message names the kind, the source and, for a malformed text, the line; the reporter logs it and skips that
 * report.
 */
public final class ProbeException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that says what was read and what was wrong. */
    public ProbeException(String message) {
        super(message);
    }

    /** Creates the exception with the failure that caused it. */
    public ProbeException(String message, Throwable cause) {
        super(message, cause);
    }
}
