/**
 * Pricing: the spot price curve, the order book and price history of each resource kind, in plain
 * Java (JDK only; no Vert.x, no Hazelcast).
 *
 * <p>Three parts, one instance of each per kind, all driven by the caller's clock (no class here
 * reads the system time) and none thread-safe (one writer per kind):
 *
 * <ul>
 *   <li>{@link io.ichiba.pricing.SpotPriceCurve} maps utilisation to a price per MiB-hour, and
 *       {@link io.ichiba.pricing.SmoothedPrice} moves the posted spot price towards it gradually.
 *   <li>{@link io.ichiba.pricing.OrderBook} matches bids (borrow) and offers (lend) continuously
 *       with price–time priority.
 *   <li>{@link io.ichiba.pricing.PriceHistory} keeps bounded spot samples and trades and answers
 *       per-step open/high/low/close and volume queries.
 * </ul>
 *
 * <p>Matching, for an incoming bid (an incoming offer is the mirror image, walking bids from the
 * highest price down):
 *
 * <pre>
 *   incoming BID  amount=6  maxPrice=5  duration=1h  owner=b
 *
 *   offers (lowest price first; within a price, oldest first)
 *   price 3 : [o1 a=2 2h owner=a] [o2 a=4 30m owner=c] [o3 a=1 2h owner=b]
 *   price 4 : [o4 a=5 1h owner=d]
 *   price 6 : ...                          (6 &gt; 5: stop)
 *
 *   o1 -&gt; trade 2 @3            (resting price)
 *   o2 -&gt; skip: lends 30m &lt; 1h (offer duration must be &gt;= bid duration)
 *   o3 -&gt; skip: same owner      (self-trade prevention)
 *   o4 -&gt; trade 4 @4, o4 keeps 1 resting (partial fill)
 *   bid filled: nothing rests.  A resting order with goodUntil &lt;= now is removed as EXPIRED
 *   when met; any unfilled remainder of the incoming order rests in its own side.
 * </pre>
 *
 * <p>Money and quantities are {@code long} (minor credit units, MiB); overflow is rejected with
 * {@link java.lang.IllegalArgumentException}, never wrapped.
 */
package io.ichiba.pricing;
