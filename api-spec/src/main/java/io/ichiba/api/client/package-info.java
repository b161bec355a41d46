/**
 * A small Java client of the broker's REST API, over {@link java.net.http.HttpClient} and the wire records of
 * {@link io.ichiba.api.Model}: agents report their node and run its jobs with it; schedulers claim, renew and
 * release; tenants submit and cancel jobs.
 *
 * <pre>
 *   IchibaClient ──HTTP/1.1, Bearer token──► broker
 *        │  2xx  → the answer as a wire record
 *        │  4xx/5xx → IchibaException (status + RFC 9457 problem)
 *        └  no answer (refused, reset, timed out) → IchibaIoException
 * </pre>
 *
 * <p>The client makes one attempt per call and never retries by itself: the caller knows whether a retry is
 * safe (a mutating call is, with the same {@code Idempotency-Key}) and how long to wait.
 * {@link io.ichiba.api.client.IchibaException#retryable()} says whether trying again may succeed.
 *
 * <p>For schedulers, a fluent layer over those calls:
 * <pre>
 *   client.claim(bundle).priority(p).lease(d).submit() ──► ClaimHandle: awaitGranted(t) (long-poll loop), renew,
 *                                                                       release, cancel
 *   client.acquire(bundle, t) ──► submit ─► awaitGranted ─(not in time)─► cancel, NotGrantedException
 *                                                 └─► Grant ── every lease/3: renew ─409/404─► lost: onLost
 *                                                       └ close(): stop renewing, release
 *   client.events().types(…).after(seq).listen(l) ──► Subscription: one thread; SSE; on a drop: backoff + jitter,
 *                                                     reconnect with Last-Event-ID = last seq delivered;
 *                                                     duplicate ids dropped
 * </pre>
 * Only the background parts — a {@link io.ichiba.api.client.Grant}'s renewals and a
 * {@link io.ichiba.api.client.Subscription}'s connections — retry on their own, as they must to keep going.
 */
package io.ichiba.api.client;
