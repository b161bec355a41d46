/**
 * The HTTP face of the broker: {@link io.ichiba.broker.http.ApiRouter} builds the router from
 * {@code openapi.yaml} and binds each operation id to a handler of {@link io.ichiba.broker.http.Api};
 * {@link io.ichiba.broker.http.Authenticator} resolves bearer tokens, {@link io.ichiba.broker.http.Idempotency}
 * makes retries safe, {@link io.ichiba.broker.http.Problems} turns every error into a problem+json answer.
 * Ledger calls block, so they run on a worker pool, never on an event loop.
 */
package io.ichiba.broker.http;
