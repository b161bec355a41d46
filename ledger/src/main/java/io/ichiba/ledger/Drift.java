package io.ichiba.ledger;

/**
 * One discrepancy an audit found ({@link Auditor}, and the credit audit of {@code Accounts}).
 *
 * @param subject  the pool id ({@code memory@node-1}, {@code lock:db}), {@code tenant:id}, {@code account:id},
 *                 {@code entry:id} or {@code credits}
 * @param recorded what the pool, tenant or account records
 * @param live     what the live grants or the journal add up to
 * @param detail   what differs
 */
public record Drift(String subject, long recorded, long live, String detail) {
}
