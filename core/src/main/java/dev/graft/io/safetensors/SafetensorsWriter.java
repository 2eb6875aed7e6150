package dev.graft.io.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import dev.graft.io.FloatFormats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a safetensors file: keys sorted, {@code __metadata__} always present, the data section 8-byte aligned (the
 * header is padded with spaces, as the HF library does), and the file written atomically (temp file, fsync, rename).
 * Tensors are added with their data, or with a {@link TensorData} that streams bytes straight to the file, so
 * nothing needs to hold all tensors in memory at once.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Streams one tensor's bytes (little-endian, row-major, in the declared dtype). */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(FileChannel channel) throws IOException;
    }

    private record Entry(DType dtype, long[] shape, long bytes, TensorData data) {
    }

    private final Map<String, Entry> entries = new TreeMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds a {@code __metadata__} entry. */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Adds {@code __metadata__} entries. */
    public SafetensorsWriter metadata(Map<String, String> values) {
        metadata.putAll(values);
        return this;
    }

    /** Adds a tensor whose bytes are streamed at write time; {@code bytes} must equal shape × dtype size. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, long bytes, TensorData data) {
        if (name.equals("__metadata__") || name.isEmpty()) {
            throw new GraftException("invalid tensor name '" + name + "'");
        }
        if (entries.containsKey(name)) {
            throw new GraftException("tensor '" + name + "' added twice");
        }
        long elements = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new GraftException("tensor '" + name + "' has a negative dimension " + Arrays.toString(shape));
            }
            elements = Math.multiplyExact(elements, d);
        }
        if (Math.multiplyExact(elements, dtype.size()) != bytes) {
            throw new GraftException("tensor '" + name + "' " + dtype + Arrays.toString(shape) + " needs "
                    + elements * dtype.size() + " bytes, got " + bytes);
        }
        entries.put(name, new Entry(dtype, shape.clone(), bytes, data));
        return this;
    }

    /** Adds float data, stored as {@code dtype} (F32, F16 or BF16). */
    public SafetensorsWriter addFloats(String name, long[] shape, float[] values, DType dtype) {
        ByteBuffer b = ByteBuffer.allocate(values.length * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> b.asFloatBuffer().put(values);
            case F16 -> {
                for (float v : values) {
                    b.putShort(FloatFormats.floatToHalf(v));
                }
            }
            case BF16 -> {
                for (float v : values) {
                    b.putShort(FloatFormats.floatToBf16(v));
                }
            }
            default -> throw new GraftException("tensor '" + name + "': floats can be stored as F32, F16 or BF16, not " + dtype);
        }
        b.rewind();
        return addBytes(name, dtype, shape, b);
    }

    /** Adds float32 data. */
    public SafetensorsWriter addFloats(String name, long[] shape, float[] values) {
        return addFloats(name, shape, values, DType.F32);
    }

    /**
     * Adds float32 rows as one [rows, cols] tensor (features, embeddings), copied row after row.
     *
     * @param rows [rows][cols], every row as long as the first; none gives a [0, 0] tensor
     */
    public SafetensorsWriter addRows(String name, float[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        float[] flat = new float[Math.multiplyExact(rows.length, cols)];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) {
                throw new GraftException("tensor '" + name + "': row " + i + " has " + rows[i].length + " values, row 0 has " + cols);
            }
            System.arraycopy(rows[i], 0, flat, i * cols, cols);
        }
        return addFloats(name, new long[] {rows.length, cols}, flat);
    }

    /** Adds int64 data. */
    public SafetensorsWriter addLongs(String name, long[] shape, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return addBytes(name, DType.I64, shape, b);
    }

    /** Adds int32 data. */
    public SafetensorsWriter addInts(String name, long[] shape, int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return addBytes(name, DType.I32, shape, b);
    }

    /** Adds raw little-endian bytes already in {@code dtype}. */
    public SafetensorsWriter addBytes(String name, DType dtype, long[] shape, ByteBuffer data) {
        ByteBuffer copy = data.duplicate();
        return add(name, dtype, shape, copy.remaining(), ch -> {
            ByteBuffer b = copy.duplicate();
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }

    /** Total bytes of tensor data added so far. */
    public long dataBytes() {
        return entries.values().stream().mapToLong(Entry::bytes).sum();
    }

    /** Writes the file atomically. */
    public void write(Path file) {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        long offset = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype().code());
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            var offs = t.putArray("data_offsets");
            offs.add(offset);
            offs.add(offset + e.getValue().bytes());
            offset += e.getValue().bytes();
        }
        byte[] json;
        try {
            json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GraftException(file + ": cannot encode the header (" + e.getMessage() + ")", e);
        }
        int padded = (json.length + 7) / 8 * 8; // data section starts 8-byte aligned
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        long expected = 8 + padded + offset;
        try {
            AtomicFiles.write(file, ch -> {
                while (head.hasRemaining()) {
                    ch.write(head);
                }
                for (Map.Entry<String, Entry> e : entries.entrySet()) {
                    long before = ch.position();
                    e.getValue().data().writeTo(ch);
                    if (ch.position() - before != e.getValue().bytes()) {
                        throw new IOException("tensor '" + e.getKey() + "' wrote " + (ch.position() - before)
                                + " bytes, declared " + e.getValue().bytes());
                    }
                }
                if (ch.position() != expected) {
                    throw new IOException("wrote " + ch.position() + " bytes, expected " + expected);
                }
            });
        } catch (IOException e) {
            throw new GraftException(file + ": cannot write (" + e.getMessage() + ")", e);
        }
    }
}
