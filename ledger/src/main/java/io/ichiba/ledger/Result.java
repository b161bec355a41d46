package io.ichiba.ledger;

/**
 * The answer of a ledger operation: a value, or a rejection with a stable code.
 *
 * @param value     the value when accepted (may also be present with a rejection, e.g. the claim as it is)
 * @param rejection why not, or {@code null}
 * @param <T>       the value type
 */
public record Result<T>(T value, Rejection rejection) implements java.io.Serializable {

    /** An accepted result. */
    public static <T> Result<T> ok(T value) {
        return new Result<>(value, null);
    }

    /** A rejected result. */
    public static <T> Result<T> rejected(Rejection.Code code, String detail) {
        return new Result<>(null, Rejection.of(code, detail));
    }

    /** A rejected result. */
    public static <T> Result<T> rejected(Rejection rejection) {
        return new Result<>(null, rejection);
    }

    /** Whether it was accepted. */
    public boolean ok() {
        return rejection == null;
    }
}
