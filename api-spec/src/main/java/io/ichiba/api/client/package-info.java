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
 */
package io.ichiba.api.client;
