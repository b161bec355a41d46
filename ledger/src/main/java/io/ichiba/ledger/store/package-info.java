/**
 * Where the ledger's state lives: the {@link io.ichiba.ledger.store.Store} interface, a set of keyed
 * {@link io.ichiba.ledger.store.Table}s whose every change is one command on one key, and
 * {@link io.ichiba.ledger.store.InMemoryStore}, the reference implementation.
 */
package io.ichiba.ledger.store;
