package io.ichiba.broker.metrics;

import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.JournalEntry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Credits minted, journal entries by reason, and the balances of the house's and escrow's accounts (never one series
 * per tenant). Entries are counted by a local listener, on the member that owns each entry: sum over members.
 */
public final class CreditMetrics {
    private final Ledger ledger;
    private final Counter creditsMinted;
    private final Map<JournalEntry.Reason, Counter> journalEntries = new EnumMap<>(JournalEntry.Reason.class);
    private final Map<String, AtomicLong> creditBalances = new LinkedHashMap<>();

    /** Registers the meters in {@code registry} and listens to the journal's entries. */
    public CreditMetrics(MeterRegistry registry, Ledger ledger) {
        this.ledger = ledger;
        this.creditsMinted = Counter.builder("ichiba.credits.minted")
                .description("Credits minted (minor units), counted by the member that owns each entry: sum over "
                        + "members")
                .register(registry);
        for (JournalEntry.Reason r : JournalEntry.Reason.values()) {
            journalEntries.put(r, Counter.builder("ichiba.journal.entries").tag("reason", r.name())
                    .description("Journal entries written, by reason, counted by the member that owns each entry: "
                            + "sum over members").register(registry));
        }
        for (String account : List.of(Account.HOUSE, Account.ESCROW)) {
            AtomicLong balance = new AtomicLong();
            creditBalances.put(account, balance);
            Gauge.builder("ichiba.credit.balance", balance, AtomicLong::get).tag("account", account)
                    .description("Settled balance of the house's and escrow's accounts (minor units)")
                    .register(registry);
        }
        // each entry is added to the journal once, on the member that owns its key: count it there
        ledger.store().journal().listenLocal(this::journaled);
    }

    /** Counts a journal entry just written (and the credits it mints). */
    void journaled(JournalEntry e) {
        Counter c = journalEntries.get(e.reason());
        if (c != null) {
            c.increment();
        }
        if (e.reason() == JournalEntry.Reason.MINT) {
            creditsMinted.increment(-e.amountFor(Account.ISSUE));
        }
    }

    /** Reads the house's and escrow's balances. */
    public void refresh() {
        creditBalances.forEach((id, gauge) -> {
            Account a = ledger.accounts().account(id);
            gauge.set(a == null ? 0 : a.balance());
        });
    }
}
