package io.ichiba.pricing;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * A price history is the bounded record of one kind's spot price samples and trades over time,
 * queryable as per-step buckets.
 *
 * <p>Each series is a ring of fixed capacity; when full, the oldest entry is dropped. Times are
 * epoch millis and kept non-decreasing: a sample older than the newest one is recorded at the
 * newest one's time (clocks of different members may disagree slightly; history never reorders).
 *
 * <p>Not thread-safe: one writer per kind.
 */
public final class PriceHistory implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The most buckets one {@link #query} may return. */
  public static final int MAX_BUCKETS = 10_000;

  /**
   * A spot sample is the posted spot price at one moment.
   *
   * @param time epoch millis
   * @param price minor units per MiB-hour
   */
  public record SpotSample(long time, long price) implements Serializable {}

  /**
   * A trade print is one trade as history keeps it.
   *
   * @param time epoch millis
   * @param price minor units per MiB-hour
   * @param amount MiB
   */
  public record TradePrint(long time, long price, long amount) implements Serializable {}

  /**
   * A bucket is the summary of one step {@code [start, end)} of history.
   *
   * <p>{@code open/high/low/close} summarise the spot samples in the step; a step without
   * samples carries the last earlier close forward as all four (with {@code spotSamples = 0}),
   * or holds zeros if there is no earlier sample in the history.
   *
   * @param start inclusive start (epoch millis)
   * @param end exclusive end (epoch millis)
   * @param spotSamples number of spot samples in the step
   * @param open first spot price in the step
   * @param high highest spot price in the step
   * @param low lowest spot price in the step
   * @param close last spot price in the step
   * @param trades number of trades in the step
   * @param tradeVolume sum of the traded amounts (MiB) in the step
   * @param lastTradePrice price of the step's last trade, or 0 if none
   */
  public record Bucket(long start, long end, int spotSamples, long open, long high, long low,
      long close, int trades, long tradeVolume, long lastTradePrice) implements Serializable {}

  private final long[] spotTime;
  private final long[] spotPrice;
  private int spotHead;
  private int spotSize;
  private final long[] tradeTime;
  private final long[] tradePrice;
  private final long[] tradeAmount;
  private int tradeHead;
  private int tradeSize;
  private long latest = Long.MIN_VALUE;

  /**
   * Creates an empty history.
   *
   * @param spotCapacity most spot samples kept, {@code > 0}
   * @param tradeCapacity most trades kept, {@code > 0}
   * @throws IllegalArgumentException if a capacity is not positive
   */
  public PriceHistory(int spotCapacity, int tradeCapacity) {
    if (spotCapacity <= 0 || tradeCapacity <= 0) {
      throw new IllegalArgumentException("capacities must be > 0");
    }
    spotTime = new long[spotCapacity];
    spotPrice = new long[spotCapacity];
    tradeTime = new long[tradeCapacity];
    tradePrice = new long[tradeCapacity];
    tradeAmount = new long[tradeCapacity];
  }

  /**
   * Records the posted spot price at {@code time}.
   *
   * @throws IllegalArgumentException if {@code price < 0}
   */
  public void recordSpot(long time, long price) {
    if (price < 0) {
      throw new IllegalArgumentException("price must be >= 0: " + price);
    }
    long t = advance(time);
    int i = (spotHead + spotSize) % spotTime.length;
    spotTime[i] = t;
    spotPrice[i] = price;
    if (spotSize < spotTime.length) {
      spotSize++;
    } else {
      spotHead = (spotHead + 1) % spotTime.length;
    }
  }

  /**
   * Records a trade of {@code amount} at {@code price} at {@code time}.
   *
   * @throws IllegalArgumentException if {@code price < 0} or {@code amount <= 0}
   */
  public void recordTrade(long time, long price, long amount) {
    if (price < 0 || amount <= 0) {
      throw new IllegalArgumentException("bad trade: price " + price + ", amount " + amount);
    }
    long t = advance(time);
    int i = (tradeHead + tradeSize) % tradeTime.length;
    tradeTime[i] = t;
    tradePrice[i] = price;
    tradeAmount[i] = amount;
    if (tradeSize < tradeTime.length) {
      tradeSize++;
    } else {
      tradeHead = (tradeHead + 1) % tradeTime.length;
    }
  }

  private long advance(long time) {
    latest = Math.max(latest, time);
    return latest;
  }

  /**
   * Returns the time the last sample was recorded at: times never go back, so a sample recorded
   * with an earlier time is kept at this one ({@link Long#MIN_VALUE} before the first).
   */
  public long latest() {
    return latest;
  }

  /** Returns the spot samples kept, oldest first. */
  public List<SpotSample> spotSamples() {
    List<SpotSample> out = new ArrayList<>(spotSize);
    for (int k = 0; k < spotSize; k++) {
      int i = (spotHead + k) % spotTime.length;
      out.add(new SpotSample(spotTime[i], spotPrice[i]));
    }
    return out;
  }

  /** Returns up to {@code n} most recent trades, oldest first. */
  public List<TradePrint> lastTrades(int n) {
    int count = Math.max(0, Math.min(n, tradeSize));
    List<TradePrint> out = new ArrayList<>(count);
    for (int k = tradeSize - count; k < tradeSize; k++) {
      int i = (tradeHead + k) % tradeTime.length;
      out.add(new TradePrint(tradeTime[i], tradePrice[i], tradeAmount[i]));
    }
    return out;
  }

  /**
   * Returns the history between {@code from} (inclusive) and {@code to} (exclusive) in steps of
   * {@code stepMillis}; the last bucket may be shorter.
   *
   * @throws IllegalArgumentException if {@code from >= to}, {@code stepMillis <= 0}, or more than
   *     {@link #MAX_BUCKETS} buckets would be returned
   */
  public List<Bucket> query(long from, long to, long stepMillis) {
    if (from >= to || stepMillis <= 0) {
      throw new IllegalArgumentException("need from < to and step > 0");
    }
    long span;
    try {
      span = Math.subtractExact(to, from);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("range too large", e);
    }
    long n = span / stepMillis + (span % stepMillis == 0 ? 0 : 1);
    if (n > MAX_BUCKETS) {
      throw new IllegalArgumentException("too many buckets: " + n + " > " + MAX_BUCKETS);
    }
    List<Bucket> out = new ArrayList<>((int) n);
    int s = 0;
    int t = 0;
    long carry = 0;
    while (s < spotSize && spotTime[(spotHead + s) % spotTime.length] < from) {
      carry = spotPrice[(spotHead + s) % spotTime.length];
      s++;
    }
    while (t < tradeSize && tradeTime[(tradeHead + t) % tradeTime.length] < from) {
      t++;
    }
    for (long b = 0; b < n; b++) {
      long start = from + b * stepMillis;
      long end = b == n - 1 ? to : start + stepMillis;
      int samples = 0;
      long open = carry;
      long high = carry;
      long low = carry;
      while (s < spotSize && spotTime[(spotHead + s) % spotTime.length] < end) {
        long p = spotPrice[(spotHead + s) % spotTime.length];
        if (samples == 0) {
          open = p;
          high = p;
          low = p;
        }
        high = Math.max(high, p);
        low = Math.min(low, p);
        carry = p;
        samples++;
        s++;
      }
      int trades = 0;
      long volume = 0;
      long last = 0;
      while (t < tradeSize && tradeTime[(tradeHead + t) % tradeTime.length] < end) {
        int i = (tradeHead + t) % tradeTime.length;
        volume = Math.addExact(volume, tradeAmount[i]);
        last = tradePrice[i];
        trades++;
        t++;
      }
      out.add(new Bucket(start, end, samples, open, high, low, carry, trades, volume, last));
    }
    return out;
  }
}
