package io.ichiba.ledger.audit;

import java.io.Serializable;

/**
 * One action of the operator or an agent that changes what the ledger grants from (issue 14's audit trail): who did
 * what, to what, when, and what it was before and after. Kept in the {@code actions} table under its {@link #id},
 * which sorts by time.
 *
 * @param id        the time in epoch millis, zero-padded to 13 digits, then a dash and a random part: the order of
 *                  the trail
 * @param at        epoch millis
 * @param actor     {@code operator}, or {@code agent:<node>}
 * @param operation the API operation (its contract's operation id, e.g. {@code updateTenant})
 * @param target    the request's path, e.g. {@code /v1/tenants/acme}
 * @param before    what the target was, as the API shows it (JSON; {@code null} for something new), at most
 *                  {@link #MAX_TEXT} characters
 * @param after     what it is, as the answer showed it (JSON, tokens left out), at most {@link #MAX_TEXT} characters
 */
public record OperatorAction(String id, long at, String actor, String operation, String target, String before,
                             String after) implements Serializable {
    /** The most characters of {@code before} and {@code after} kept. */
    public static final int MAX_TEXT = 8192;

    /** Cuts {@code before} and {@code after} to {@link #MAX_TEXT}. */
    public OperatorAction {
        before = cut(before);
        after = cut(after);
    }

    /** The id of an action at {@code at} with the random part {@code nonce}. */
    public static String id(long at, String nonce) {
        return String.format("%013d-%s", at, nonce);
    }

    private static String cut(String s) {
        return s == null || s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT - 1) + "…";
    }
}
