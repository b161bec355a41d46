package org.example.gadget;

/** An error of no package a member may read, as the cause of an allowed one. */
public class GadgetError extends RuntimeException {
    private static final long serialVersionUID = 1L;
}
