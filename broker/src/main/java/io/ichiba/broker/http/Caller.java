package io.ichiba.broker.http;

import io.ichiba.ledger.tenant.Principal;

/**
 * The authenticated caller of a request.
 *
 * @param principal its role and subject
 */
public record Caller(Principal principal) {

    /** Whether the caller is the operator. */
    public boolean operator() {
        return principal.role() == Principal.Role.OPERATOR;
    }

    /** Whether the caller is a tenant. */
    public boolean tenant() {
        return principal.role() == Principal.Role.TENANT;
    }

    /** Whether the caller is the agent of {@code node}. */
    public boolean agentOf(String node) {
        return principal.role() == Principal.Role.AGENT && principal.subject().equals(node);
    }

    /** The tenant id, node id, or {@code operator}. */
    public String subject() {
        return principal.subject();
    }

    /** A key naming this caller in idempotency records. */
    public String key() {
        return principal.role().name().toLowerCase(java.util.Locale.ROOT) + ":" + principal.subject();
    }
}
