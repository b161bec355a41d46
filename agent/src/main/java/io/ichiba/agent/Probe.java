package io.ichiba.agent;

/**
 * A probe measures one node-local resource kind on this machine: how much the broker may grant and how much is
 * free right now, both in the kind's unit (MiB for memory and disk).
 *
 * <p>A probe reads the machine on every call and keeps no state between calls, so a probe that failed once
 * (a file briefly unreadable, a mount not yet mounted) may succeed on the next.
 */
public interface Probe {

    /** The kind this probe measures, as the broker names it: {@code memory}, {@code disk}. */
    String kind();

    /**
     * Measures the kind now.
     *
     * @throws ProbeException when the machine cannot be read or what it says makes no sense
     */
    Reading read() throws ProbeException;

    /**
     * One measurement of a kind.
     *
     * @param kind        the kind, e.g. {@code memory}
     * @param allocatable what the broker may grant on this node (the pool's capacity), never negative
     * @param free        what is measured free now, never negative
     */
    record Reading(String kind, long allocatable, long free) {
        /** Checks the amounts. */
        public Reading {
            if (kind == null || kind.isBlank()) {
                throw new IllegalArgumentException("a reading needs a kind");
            }
            if (allocatable < 0 || free < 0) {
                throw new IllegalArgumentException(kind + ": amounts must not be negative, were allocatable="
                        + allocatable + " free=" + free);
            }
        }
    }
}
