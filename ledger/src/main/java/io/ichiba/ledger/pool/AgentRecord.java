package io.ichiba.ledger.pool;

import java.io.Serializable;

/**
 * The agent of one node: a node has one agent, whose token is known only by its hash.
 *
 * @param node      the node id
 * @param tokenHash SHA-256 of the agent's token (the key of its {@link Principal})
 * @param createdAt epoch millis
 */
public record AgentRecord(String node, String tokenHash, long createdAt) implements Serializable {
}
