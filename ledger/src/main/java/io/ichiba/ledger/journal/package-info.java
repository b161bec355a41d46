/**
 * The journal: the engine's batches, appended one replicated write each, fenced by the engine's epoch, and
 * written behind into state tables from which the next engine starts.
 *
 * <pre>
 *   engine ──batch(epoch, seq, changes)──► Journal.append ──► (only then) callers answered, events published
 *                                             │
 *          write-behind thread, coalesced ───►│ state tables ◄── takeOver(): epoch+1, tables + batches after them
 * </pre>
 *
 * <p>{@link io.ichiba.ledger.journal.InMemoryJournal} is the reference; {@code HazelcastJournal} keeps the head
 * and the batches under one key with a synchronous backup, and the state tables in maps.
 */
package io.ichiba.ledger.journal;
