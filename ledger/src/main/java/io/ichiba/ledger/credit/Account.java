package io.ichiba.ledger.credit;

import java.io.Serializable;

/**
 * A credit account: a tenant's, the house's, escrow, or the issue account that minted credits come from.
 *
 * <p>{@code balance} is what the journal entries with a leg on the account add up to: an entry and its legs are
 * written in the same change of the engine ({@link Accounts#post}), so the two never disagree.
 *
 * @param id          {@code tenant:<id>}, {@code house}, {@code escrow} or {@code issue}
 * @param type        what the account is
 * @param balance     balance in minor credit units
 * @param creditLimit how far below zero the balance may go (0: no debt); ignored for the issue account
 * @param openedAt    epoch millis
 */
public record Account(String id, Type type, long balance, long creditLimit, long openedAt) implements Serializable {
    /** The house: sells unowned capacity at the spot price. */
    public static final String HOUSE = "house";
    /** Escrow: holds what bids put up and what trades owe lenders until terms end. */
    public static final String ESCROW = "escrow";
    /** The issue account: minting moves credits from here, so its balance is minus everything minted. */
    public static final String ISSUE = "issue";

    /** What an account is. */
    public enum Type {
        /** A tenant's account. */
        TENANT,
        /** The house's account. */
        HOUSE,
        /** The escrow account. */
        ESCROW,
        /** The issue account (unbounded below). */
        ISSUE
    }

    /** Checks the credit limit. */
    public Account {
        if (creditLimit < 0) {
            throw new IllegalArgumentException("creditLimit must not be negative");
        }
    }

    /** Returns the account id of {@code tenant}. */
    public static String ofTenant(String tenant) {
        return "tenant:" + tenant;
    }

    /** Returns a new empty account. */
    public static Account open(String id, Type type, long now) {
        return new Account(id, type, 0, 0, now);
    }

    /**
     * The most credits that may ever be minted, 2^62: the issue account goes no lower than minus this, so that every
     * sum of balances (minted credits, plus the debts credit limits allow) fits a {@code long}.
     */
    public static final long MAX_SUPPLY = 1L << 62;

    /** The lowest balance allowed: minus the credit limit, or minus {@link #MAX_SUPPLY} for the issue account. */
    public long floor() {
        return type == Type.ISSUE ? -MAX_SUPPLY : -creditLimit;
    }

    Account withBalance(long newBalance) {
        return new Account(id, type, newBalance, creditLimit, openedAt);
    }

    Account withCreditLimit(long limit) {
        return new Account(id, type, balance, limit, openedAt);
    }
}
