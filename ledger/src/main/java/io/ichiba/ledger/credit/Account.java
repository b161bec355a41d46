package io.ichiba.ledger.credit;

import io.ichiba.ledger.pool.Amounts;

import java.io.Serializable;
import java.util.SortedMap;

/**
 * A credit account: a tenant's, the house's, escrow, or the issue account that minted credits come from.
 *
 * <p>{@code balance} is what settled journal entries add up to. A posting under way holds its leg in
 * {@code pending} (entry id to amount) until it is settled or undone, so applying a leg twice is a no-op.
 * Money that a pending debit takes is unavailable at once; money that a pending credit brings is not yet
 * spendable, so undoing a pending credit can never drive an account below its floor.
 *
 * @param id          {@code tenant:<id>}, {@code house}, {@code escrow} or {@code issue}
 * @param type        what the account is
 * @param balance     settled balance in minor credit units
 * @param creditLimit how far below zero the balance may go (0: no debt); ignored for the issue account
 * @param pending     legs applied by postings not yet settled, by entry id
 * @param openedAt    epoch millis
 */
public record Account(String id, Type type, long balance, long creditLimit, SortedMap<String, Long> pending,
                      long openedAt) implements Serializable {
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

    /** Normalises the pending legs. */
    public Account {
        pending = Amounts.copyOf(pending);
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
        return new Account(id, type, 0, 0, Amounts.none(), now);
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

    /** What may still be spent: the balance less the pending debits. */
    public long available() {
        long a = balance;
        for (long v : pending.values()) {
            if (v < 0) {
                a = Math.addExact(a, v);
            }
        }
        return a;
    }

    /** The highest the balance can become: every pending credit settled, every pending debit undone. */
    public long ceiling() {
        long a = balance;
        for (long v : pending.values()) {
            if (v > 0) {
                a = Math.addExact(a, v);
            }
        }
        return a;
    }

    /** The balance once every pending leg is settled. */
    public long projected() {
        long a = balance;
        for (long v : pending.values()) {
            a = Math.addExact(a, v);
        }
        return a;
    }

    Account with(long newBalance, SortedMap<String, Long> newPending) {
        return new Account(id, type, newBalance, creditLimit, newPending, openedAt);
    }

    Account withCreditLimit(long limit) {
        return new Account(id, type, balance, limit, pending, openedAt);
    }
}
