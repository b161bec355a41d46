/**
 * The engine over Hazelcast: {@link io.ichiba.ledger.hazelcast.HazelcastEngine} wires the engine's store over an
 * embedded member, with the {@link io.ichiba.ledger.hazelcast.HazelcastJournal} (the fenced, replicated journal and
 * the state maps written behind it), the {@link io.ichiba.ledger.hazelcast.HazelcastRemote} that forwards calls to
 * the engine's member, and the {@link io.ichiba.ledger.hazelcast.EngineRole} that starts the engine on the owner of
 * its partition. The only package of the ledger that knows Hazelcast.
 */
package io.ichiba.ledger.hazelcast;
