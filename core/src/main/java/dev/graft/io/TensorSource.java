package dev.graft.io;

import java.util.Set;

/**
 * Named tensors to load weights from (a safetensors store, an ONNX graph, a PEFT adapter file). Element data comes
 * back as float32 whatever the stored precision.
 */
public interface TensorSource {
    /** All tensor names, in no particular order. */
    Set<String> names();

    /** Shape of a tensor, outermost first. */
    long[] shape(String name);

    /** The elements in row-major order, converted to float32. */
    float[] readFloats(String name);

    /** Where the tensors come from, for error messages (a file path, "all-minilm-l6-v2.onnx in <jar>"). */
    String description();
}
