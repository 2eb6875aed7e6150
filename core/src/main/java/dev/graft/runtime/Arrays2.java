package dev.graft.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** NDArray creation helpers. */
public final class Arrays2 {
    private Arrays2() {
    }

    /**
     * An array whose memory PyTorch owns. DJL's {@code create(float[])} wraps a Java direct buffer without copying;
     * for long-lived arrays (parameters) and ones autograd may keep, native-owned memory is safer: its lifetime no
     * longer depends on the Java wrapper object.
     */
    public static NDArray owned(NDManager manager, float[] values, Shape shape) {
        try (NDArray view = manager.create(values, shape)) {
            return view.duplicate();
        }
    }

    /** As {@link #owned(NDManager, float[], Shape)}, for int64 data. */
    public static NDArray owned(NDManager manager, long[] values, Shape shape) {
        try (NDArray view = manager.create(values, shape)) {
            return view.duplicate();
        }
    }

    /** As {@link #owned(NDManager, float[], Shape)}, for a vector. */
    public static NDArray owned(NDManager manager, float[] values) {
        return owned(manager, values, new Shape(values.length));
    }

    /**
     * Copies {@code values} into {@code target} in place (autograd-safe: {@code target} keeps its identity and
     * PyTorch-owned memory, unlike DJL's {@code set(Buffer)}, which re-points the tensor at a Java buffer).
     */
    public static void assign(NDArray target, float[] values) {
        if (values.length != target.size()) {
            throw new IllegalArgumentException("expected " + target.size() + " values for " + target.getShape()
                    + ", got " + values.length);
        }
        try (NDArray src = owned(target.getManager(), values, target.getShape())) {
            target.set(new ai.djl.ndarray.index.NDIndex("..."), src);
        }
    }

    /**
     * Closes {@code old} unless it is {@code next} (an op may return its input). DJL keeps every intermediate alive
     * until its manager closes; closing a handle as soon as it is consumed lets PyTorch reuse the memory at once.
     * Safe under autograd: the graph holds its own references to what backward needs.
     */
    public static NDArray replace(NDArray old, NDArray next) {
        if (old != next && old != null) {
            old.close();
        }
        return next;
    }

    /**
     * A float scalar tensor in PyTorch-owned memory, for arithmetic that autograd records. DJL's {@code mul(Number)}
     * and friends wrap the number in a Java buffer and close it right after the op, but autograd keeps that scalar
     * for the backward pass: a garbage collection in between frees it under PyTorch (random NaN gradients). The
     * scalar returned here belongs to {@code manager} and stays valid whatever the GC does.
     */
    public static NDArray scalar(NDManager manager, float value) {
        return owned(manager, new float[] {value}, new Shape());
    }
}
