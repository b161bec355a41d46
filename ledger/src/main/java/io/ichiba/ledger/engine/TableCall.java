package io.ichiba.ledger.engine;

import io.ichiba.ledger.Command;
import io.ichiba.ledger.store.Table;

import java.io.Serializable;
import java.util.Collection;
import java.util.Map;

/**
 * One operation on one table, as a value that can be sent to the engine's member: what a member that is not the
 * engine asks of it. The engine runs {@link Execute} as a command of a batch; reads answer from its committed state
 * ({@link EngineTable}), or, on a member cut off from the majority, from the state written behind ({@link Remote}).
 *
 * @param <R> the answer's type
 */
public sealed interface TableCall<R> extends Serializable {

    /** Whether the call changes state (runs in a batch) rather than reads it. */
    default boolean writes() {
        return false;
    }

    /** {@link Table#get}. */
    record Get(String key) implements TableCall<Object> {
    }

    /** {@link Table#execute}. */
    record Execute<R>(String key, Command<Object, R> command) implements TableCall<R> {
        @Override
        public boolean writes() {
            return true;
        }

        /** Runs the command on {@code table} (on the engine thread: within the running command). */
        public R on(Table<Object> table) {
            return table.execute(key, command);
        }
    }

    /** {@link Table#values}. */
    record Values(Table.Filter<Object> filter) implements TableCall<Collection<Object>> {
    }

    /** {@link Table#count}: the number alone crosses to the caller, not the records. */
    record Count(Table.Filter<Object> filter) implements TableCall<Integer> {
    }

    /** {@link Table#any}. */
    record Any(Table.Filter<Object> filter) implements TableCall<Boolean> {
    }

    /** {@link Table#entries}. */
    record Entries() implements TableCall<Map<String, Object>> {
    }
}
