package io.ichiba.broker.http;

/**
 * An answer to send: a status and a body that is either a wire record (written as JSON) or a problem.
 *
 * @param status HTTP status
 * @param body   the record to write as JSON, or a pre-written JSON string
 */
public record Reply(int status, Object body) {

    /** A 200 answer. */
    public static Reply ok(Object body) {
        return new Reply(200, body);
    }

    /** A 201 answer. */
    public static Reply created(Object body) {
        return new Reply(201, body);
    }

    /** Whether this answer is an error. */
    public boolean isError() {
        return status >= 400;
    }
}
