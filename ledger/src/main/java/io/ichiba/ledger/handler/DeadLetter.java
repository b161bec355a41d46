package io.ichiba.ledger.handler;

import io.ichiba.ledger.event.Event;

import java.io.Serializable;

/**
 * A delivery to one handler that exhausted its attempts, kept for replay.
 *
 * @param id        {@code <delivery id>|<binding id>}
 * @param binding   the binding
 * @param owner     the binding's owner, or {@code null}
 * @param seq       the event's place in the log
 * @param event     the event
 * @param attempts  attempts made
 * @param lastError the last failure
 * @param at        epoch millis it was given up
 */
public record DeadLetter(String id, String binding, String owner, long seq, Event event, int attempts,
                         String lastError, long at) implements Serializable {
}
