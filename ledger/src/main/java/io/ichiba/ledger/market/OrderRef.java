package io.ichiba.ledger.market;

import java.io.Serializable;

/**
 * Where an order lives: the kind whose book holds it, and its owner. Written once when the order is first seen,
 * so that an order id is found without knowing its kind, and is never taken by two tenants.
 *
 * @param kind  the kind
 * @param owner the tenant
 */
public record OrderRef(String kind, String owner) implements Serializable {
}
