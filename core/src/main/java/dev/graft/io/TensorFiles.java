package dev.graft.io;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Saves and loads named float32 tensors as a safetensors file (checkpoints, adapters, Fisher matrices). */
public final class TensorFiles {
    private TensorFiles() {
    }

    /** Writes NDArrays (as F32) atomically, keys sorted, with {@code metadata} in {@code __metadata__}. */
    public static void writeArrays(Path file, Map<String, NDArray> arrays, Map<String, String> metadata) {
        throw new UnsupportedOperationException("safetensors writer being merged");
    }

    /** Writes the arrays of parameters by name. */
    public static void writeParameters(Path file, Map<String, Parameter> params, Map<String, String> metadata) {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        params.forEach((k, p) -> arrays.put(k, p.getArray()));
        writeArrays(file, arrays, metadata);
    }

    /** Reads every tensor of a safetensors file as float32. */
    public static Map<String, float[]> readAll(Path file) {
        throw new UnsupportedOperationException("safetensors reader being merged");
    }
}
