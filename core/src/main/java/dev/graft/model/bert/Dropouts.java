package dev.graft.model.bert;

import ai.djl.ndarray.NDArray;

/** Dropout that costs nothing outside training. */
final class Dropouts {
    private Dropouts() {
    }

    static NDArray apply(NDArray x, float rate, boolean training) {
        if (!training || rate <= 0f) {
            return x;
        }
        return x.getNDArrayInternal().dropout(x, rate, true).singletonOrThrow();
    }
}
