/**
 * The replicated store: {@link io.ichiba.ledger.hazelcast.HazelcastStore} keeps each table of the ledger in a
 * Hazelcast IMap with a synchronous backup, and runs each pure command as an entry processor on the key's
 * owner. The only package of the ledger that knows Hazelcast.
 */
package io.ichiba.ledger.hazelcast;
