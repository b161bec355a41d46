package io.ichiba.ledger;

import io.ichiba.ledger.engine.Engines;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The ledger's scenarios written against the reference store (placement hints, explain, event handlers, price alerts,
 * the market's events, reservations), run again through the engine over the reference journal: the store a broker
 * runs on. Each test's engine is closed after it.
 */
@ExtendWith(Engines.ClosedAfterEach.class)
class EngineScenariosTest {

    private static Store engine() {
        return Engines.started(new InMemoryJournal());
    }

    @Nested
    class Hints extends HintsTest {
        @Override
        Store createStore() {
            return engine();
        }
    }

    @Nested
    class Explain extends ExplainTest {
        @Override
        Store createStore() {
            return engine();
        }
    }

    @Nested
    class Handlers extends HandlersTest {
        @Override
        Store createStore() {
            return engine();
        }

        @Override
        boolean relaysEvents() {
            return false;
        }
    }

    @Nested
    class PriceAlerts extends PriceAlertsTest {
        @Override
        Store createStore() {
            return engine();
        }

        @Override
        boolean relaysEvents() {
            return false;
        }
    }

    @Nested
    class MarketEvents extends MarketEventsTest {
        @Override
        Store createStore() {
            return engine();
        }

        @Override
        boolean relaysEvents() {
            return false;
        }
    }

    @Nested
    class Reservations extends ReservationsTest {
        @Override
        Store createStore() {
            return engine();
        }
    }
}
