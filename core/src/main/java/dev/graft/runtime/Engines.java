package dev.graft.runtime;

/** Placeholder: engine set-up, being written. */
public final class Engines {
    private Engines() {
    }

    /** Sets the number of compute threads; call before any model is loaded. 0 keeps the default (all cores). */
    public static void configure(int threads) {
    }
}
