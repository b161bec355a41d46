package io.ichiba.ledger.engine;

import io.ichiba.ledger.Command;
import io.ichiba.ledger.store.Table;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;

/**
 * One operation on one table, as a value that can be sent to the engine's member: what a member that is not the
 * engine asks of it. The engine runs {@link Execute} as a command of a batch; reads answer from its committed state.
 *
 * @param <R> the answer's type
 */
public sealed interface TableCall<R> extends Serializable {

    /** Whether the call changes state (runs in a batch) rather than reads it. */
    boolean writes();

    /** Runs the call on {@code table} here. */
    R on(Table<Object> table);

    /** {@link Table#get}. */
    record Get(String key) implements TableCall<Object> {
        @Override
        public boolean writes() {
            return false;
        }

        @Override
        public Object on(Table<Object> table) {
            return table.get(key);
        }
    }

    /** {@link Table#execute}. */
    record Execute<R>(String key, Command<Object, R> command) implements TableCall<R> {
        @Override
        public boolean writes() {
            return true;
        }

        @Override
        public R on(Table<Object> table) {
            return table.execute(key, command);
        }
    }

    /** {@link Table#values}. */
    record Values(Table.Filter<Object> filter) implements TableCall<Collection<Object>> {
        @Override
        public boolean writes() {
            return false;
        }

        @Override
        public Collection<Object> on(Table<Object> table) {
            return new ArrayList<>(table.values(filter));
        }
    }

    /** {@link Table#any}. */
    record Any(Table.Filter<Object> filter) implements TableCall<Boolean> {
        @Override
        public boolean writes() {
            return false;
        }

        @Override
        public Boolean on(Table<Object> table) {
            return table.any(filter);
        }
    }

    /** {@link Table#entries}. */
    record Entries() implements TableCall<Map<String, Object>> {
        @Override
        public boolean writes() {
            return false;
        }

        @Override
        public Map<String, Object> on(Table<Object> table) {
            return table.entries();
        }
    }
}
