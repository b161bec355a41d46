/**
 * Where the ledger's state lives: the {@link io.ichiba.ledger.store.Store} interface, a set of keyed
 * {@link io.ichiba.ledger.store.Table}s whose every change is one command on one key, kept by the engine
 * ({@code io.ichiba.ledger.engine.EngineStore}), which runs every operation over them as one command of a batch.
 */
package io.ichiba.ledger.store;
