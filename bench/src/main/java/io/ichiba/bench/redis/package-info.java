/** The Redis baseline: pools as counters, all-or-nothing acquire as one Lua script. */
package io.ichiba.bench.redis;
