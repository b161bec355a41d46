/**
 * The ledger: pools, claims, quotas and their laws, as pure state transitions over immutable records.
 *
 * <pre>
 *   agent report ──► NodeState (all pools of a node, one key)      LockState (one key per lock)
 *                         ▲ hold / return by claim id                  ▲
 *   POST claim ──► Claim QUEUED ──► Admission (single loop) ──► TenantState (quota holds, one key)
 *                         │          BeginGrant → holds → FinishGrant
 *                         ▼
 *                 GRANTED ──► release / cancel / LeaseReaper expiry ──► returnTokens (idempotent)
 *                                                                   ──► Auditor recomputes holdings
 * </pre>
 *
 * <p>Every change of shared state is a {@link io.ichiba.ledger.Command} on the key that owns it; a grant that
 * spans keys is driven by its {@link io.ichiba.ledger.Claim}, which records the attempt under way, so any
 * member can finish or undo it. Nothing here knows Vert.x or HTTP; time comes from an injected clock.
 *
 * <p>Read-only answers are pure functions of a snapshot too: {@link io.ichiba.ledger.Hints} (placement hints and
 * plans for batch stages) and {@link io.ichiba.ledger.Explain} (why a claim waits) read capacity over time through
 * {@link io.ichiba.ledger.Timeline}, from lease deadlines and reservations' bookings.
 */
package io.ichiba.ledger;
