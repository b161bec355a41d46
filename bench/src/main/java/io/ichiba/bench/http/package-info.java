/**
 * The HTTP benchmarks: baseline servers that answer the claim routes with parts of the broker's stack, and a load
 * generator that drives any of them (or the broker) open- or closed-loop. {@code bench/scripts/http.sh} and
 * {@code bench/scripts/scale.sh} run them.
 *
 * <pre>
 *   LoadGen ──HTTP/1.1──► broker      :18080  router + auth + validation ─► worker ─► ledger ─► Hazelcast ◄─ admission loop
 *           (open/closed) redis arm   :18083  router + auth + validation ─► Lua acquire/release in redis-server
 *                         openapi arm :18082  router + auth + validation ─► constant answer
 *                         hello arm   :18081  plain Router ─► constant answer
 * </pre>
 */
package io.ichiba.bench.http;
