package dev.graft.io.tensors;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.graft.io.safetensors.DType;
import dev.graft.io.safetensors.SafetensorsFile;
import dev.graft.io.safetensors.SafetensorsWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Saves and loads named float32 tensors as a safetensors file (checkpoints, adapters, Fisher matrices). */
public final class TensorFiles {
    private TensorFiles() {
    }

    /** Writes NDArrays (as F32) atomically, keys sorted, with {@code metadata} in {@code __metadata__}. */
    public static void writeArrays(Path file, Map<String, NDArray> arrays, Map<String, String> metadata) {
        SafetensorsWriter w = new SafetensorsWriter().metadata(metadata);
        arrays.forEach((k, a) -> w.add(k, DType.F32, a.getShape().getShape(), a.size() * 4L, ch -> writeF32(ch, a)));
        w.write(file);
    }

    /** Writes a float32 array's elements little-endian to a channel (one tensor at a time: no full-model copy). */
    public static void writeF32(java.nio.channels.FileChannel ch, NDArray a) throws java.io.IOException {
        java.nio.ByteBuffer b = a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toByteBuffer();
        if (b.order() != java.nio.ByteOrder.LITTLE_ENDIAN) {
            java.nio.ByteBuffer le = java.nio.ByteBuffer.allocate(b.remaining()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            le.asFloatBuffer().put(b.asFloatBuffer());
            b = le;
        }
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Writes the arrays of parameters by name. */
    public static void writeParameters(Path file, Map<String, Parameter> params, Map<String, String> metadata) {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        params.forEach((k, p) -> arrays.put(k, p.getArray()));
        writeArrays(file, arrays, metadata);
    }

    /** Reads every tensor of a safetensors file as float32. */
    public static Map<String, float[]> readAll(Path file) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String n : f.names()) {
                out.put(n, f.readFloats(n));
            }
        }
        return out;
    }
}
