package io.ichiba.pricing;

import java.io.Serializable;

/**
 * A price level is the aggregate of one side's resting orders at one price.
 *
 * @param price limit price per MiB-hour
 * @param amount sum of the unfilled amounts (MiB)
 * @param orders number of orders
 */
public record PriceLevel(long price, long amount, int orders) implements Serializable {}
