/** Turns one run's CSV files into the measured sections of {@code docs/benchmarks.md}. */
package io.ichiba.bench.report;
