/**
 * Tenants: their quota, what they lend and borrow ({@link io.ichiba.ledger.tenant.TenantState}), their limits
 * ({@link io.ichiba.ledger.tenant.TenantLimits}) and the principals a token stands for.
 *
 * <p>Records and their pure transitions (commands on one key); the services over them are in {@code io.ichiba.ledger}.
 */
package io.ichiba.ledger.tenant;
