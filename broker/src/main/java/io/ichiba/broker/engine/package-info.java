/** The engine's member role as the broker shows it: its meters. The engine itself is {@code io.ichiba.ledger.engine}. */
package io.ichiba.broker.engine;
