package org.example.gadget;

import java.io.Serializable;

/** A class of no package a member may read: what a stranger on the member network would send. */
public record Gadget(String command) implements Serializable {
}
