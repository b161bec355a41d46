package io.ichiba.ledger.store;

/**
 * A value that can be settled: ended and done with, kept only to be read until it is purged (an ended claim whose
 * tokens are back is kept for an hour). Such values outnumber the live ones by far under steady traffic, so a store
 * may index values by this flag and let filters over live values ({@link Table.Filter#skipsSettled}) skip the settled
 * ones instead of testing every value.
 */
public interface Settleable {
    /** Whether this value is settled: no live filter passes it, and it changes no more but to be purged. */
    boolean settled();
}
