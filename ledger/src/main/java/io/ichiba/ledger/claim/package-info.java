/**
 * Claims: what a claim asks for ({@link io.ichiba.ledger.claim.Bundle}, {@link io.ichiba.ledger.claim.Funding}), its
 * record and life ({@link io.ichiba.ledger.claim.Claim}, {@link io.ichiba.ledger.claim.ClaimState}) and its
 * transitions ({@link io.ichiba.ledger.claim.ClaimCommands}).
 *
 * <p>Records and their pure transitions (commands on one key); the services over them are in {@code io.ichiba.ledger}.
 */
package io.ichiba.ledger.claim;
