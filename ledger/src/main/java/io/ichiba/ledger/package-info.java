/**
 * The ledger's services: {@link io.ichiba.ledger.Ledger} (the facade), {@link io.ichiba.ledger.Admission},
 * {@link io.ichiba.ledger.Exchange}, {@link io.ichiba.ledger.credit.Accounts}, {@link io.ichiba.ledger.Reservations},
 * {@link io.ichiba.ledger.Jobs}, {@link io.ichiba.ledger.Handlers}, the reaper, the auditor and the read-only answers,
 * over the records of the capability packages ({@code pool}, {@code tenant}, {@code claim}, {@code credit},
 * {@code market}, {@code reservation}, {@code job}, {@code handler}, {@code event}).
 *
 * <pre>
 *   agent report ──► NodeState (all pools of a node, one key)      LockState (one key per lock)
 *                         ▲ hold / return by claim id                  ▲
 *   POST claim ──► Claim QUEUED ──► Admission (in the engine) ──► TenantState (quota holds, one key)
 *                         │          holds → Grant, one command
 *                         ▼
 *                 GRANTED ──► release / cancel / LeaseReaper expiry ──► returnTokens (idempotent)
 *                                                                   ──► Auditor recomputes holdings
 * </pre>
 *
 * <p>Every change is a {@link io.ichiba.ledger.Command} on the key that owns it, and every operation of the ledger
 * runs as one command of the engine ({@code io.ichiba.ledger.engine}): its changes on every key are journaled
 * together or not at all. Nothing here knows Vert.x or HTTP; time comes from an injected clock.
 *
 * <p>Read-only answers are pure functions of a snapshot too: {@link io.ichiba.ledger.Hints} (placement hints and
 * plans for batch stages) and {@link io.ichiba.ledger.Explain} (why a claim waits) read capacity over time through
 * {@link io.ichiba.ledger.pool.Timeline}, from lease deadlines and reservations' bookings.
 */
package io.ichiba.ledger;
