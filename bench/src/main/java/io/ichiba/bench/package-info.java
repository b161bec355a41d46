/**
 * Benchmarks of Ichiba against the limit of its own stack and against what users would use instead.
 * Run by {@code bench/run.sh}, which writes {@code docs/benchmarks.md}; nothing here is a test.
 */
package io.ichiba.bench;
