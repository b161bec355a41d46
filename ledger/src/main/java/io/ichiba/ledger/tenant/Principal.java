package io.ichiba.ledger.tenant;

import java.io.Serializable;

/**
 * Who a bearer token stands for. Only the token's SHA-256 hash is stored, as the key.
 *
 * @param role      operator, tenant or agent
 * @param subject   the tenant id or node id (the operator's is {@code operator})
 * @param createdAt epoch millis
 */
public record Principal(Role role, String subject, long createdAt) implements Serializable {

    /** The roles of the API. */
    public enum Role {
        /** Defines tenants, agents, locks, kinds; sees everything. */
        OPERATOR,
        /** Claims tokens; sees only its own claims. */
        TENANT,
        /** Reports for its own node only. */
        AGENT
    }
}
