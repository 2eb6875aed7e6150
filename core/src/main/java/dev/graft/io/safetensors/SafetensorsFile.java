package dev.graft.io.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import dev.graft.io.FloatFormats;
import dev.graft.io.TensorSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A safetensors file opened for lazy, memory-mapped access: the header is read and validated at open, and each
 * tensor's bytes are mapped only when asked for. Files larger than 2 GiB work (each tensor is mapped on its own).
 *
 * <p>Format: 8-byte little-endian header length N, N bytes of JSON ({@code name -> {dtype, shape, data_offsets}}
 * plus optional {@code __metadata__} of strings), then the data section; offsets are relative to its start.
 */
public final class SafetensorsFile implements TensorSource, AutoCloseable {
    /** Headers above this are refused before any allocation (the HF library uses the same bound). */
    static final long MAX_HEADER = 100L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens and validates a file.
     *
     * @throws SafetensorsFormatException if the file is truncated, corrupt or inconsistent
     * @throws GraftException if it cannot be read
     */
    public static SafetensorsFile open(Path path) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new GraftException(path + ": file not found");
        } catch (IOException e) {
            throw new GraftException(path + ": cannot open (" + e.getMessage() + ")", e);
        }
        try {
            return parse(path, ch);
        } catch (RuntimeException | IOException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // already failing
            }
            if (e instanceof GraftException g) {
                throw g;
            }
            throw new SafetensorsFormatException(path + ": cannot read header (" + e.getMessage() + ")");
        }
    }

    private static SafetensorsFile parse(Path path, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw bad(path, "file is " + size + " bytes, shorter than the 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long n = lenBuf.flip().getLong();
        if (n <= 0 || n > MAX_HEADER) {
            throw bad(path, "header length " + Long.toUnsignedString(n) + " is outside 1.." + MAX_HEADER);
        }
        if (n > size - 8) {
            throw bad(path, "header length " + n + " runs past the end of the file (" + size + " bytes): truncated?");
        }
        ByteBuffer header = ByteBuffer.allocate((int) n);
        readFully(ch, header, 8);
        JsonNode root;
        try {
            root = JSON.readTree(header.array());
        } catch (IOException e) {
            throw bad(path, "header is not valid JSON (" + e.getMessage().split("\n")[0] + ")");
        }
        if (root == null || !root.isObject()) {
            throw bad(path, "header is not a JSON object");
        }
        long dataStart = 8 + n;
        long dataSize = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) {
                    throw bad(path, "__metadata__ must be an object of strings");
                }
                for (Iterator<Map.Entry<String, JsonNode>> m = v.fields(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> kv = m.next();
                    if (!kv.getValue().isTextual()) {
                        throw bad(path, "__metadata__ value of '" + kv.getKey() + "' is not a string");
                    }
                    metadata.put(kv.getKey(), kv.getValue().asText());
                }
                continue;
            }
            tensors.put(name, tensorInfo(path, name, v, dataSize));
        }
        checkOverlaps(path, tensors);
        return new SafetensorsFile(path, ch, dataStart, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static TensorInfo tensorInfo(Path path, String name, JsonNode v, long dataSize) {
        if (!v.isObject()) {
            throw bad(path, "entry '" + name + "' is not an object");
        }
        DType dtype = v.path("dtype").isTextual() ? DType.fromCode(v.get("dtype").asText()) : null;
        if (dtype == null) {
            throw bad(path, "tensor '" + name + "' has unknown dtype " + v.get("dtype") + "; expected one of "
                    + Arrays.toString(DType.values()));
        }
        JsonNode shapeNode = v.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw bad(path, "tensor '" + name + "' has no shape array");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw bad(path, "tensor '" + name + "' has an invalid dimension " + d + " in its shape");
            }
            shape[i] = d.asLong();
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException ex) {
                throw bad(path, "tensor '" + name + "' shape " + shapeNode + " overflows");
            }
        }
        JsonNode offs = v.get("data_offsets");
        if (offs == null || !offs.isArray() || offs.size() != 2 || !offs.get(0).canConvertToLong()
                || !offs.get(1).canConvertToLong() || !offs.get(0).isIntegralNumber() || !offs.get(1).isIntegralNumber()) {
            throw bad(path, "tensor '" + name + "' needs data_offsets [begin, end]");
        }
        long begin = offs.get(0).asLong();
        long end = offs.get(1).asLong();
        if (begin < 0 || end < begin || end > dataSize) {
            throw bad(path, "tensor '" + name + "' data_offsets [" + begin + ", " + end + "] are outside the data section (" + dataSize
                    + " bytes)");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(elements, dtype.size());
        } catch (ArithmeticException ex) {
            throw bad(path, "tensor '" + name + "' is too large");
        }
        if (bytes != end - begin) {
            throw bad(path, "tensor '" + name + "' " + dtype + Arrays.toString(shape) + " needs " + bytes + " bytes but its offsets span "
                    + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void checkOverlaps(Path path, Map<String, TensorInfo> tensors) {
        List<TensorInfo> sorted = new ArrayList<>(tensors.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo a = sorted.get(i - 1);
            TensorInfo b = sorted.get(i);
            if (b.begin() < a.end() && b.byteSize() > 0 && a.byteSize() > 0) {
                throw bad(path, "tensors '" + a.name() + "' and '" + b.name() + "' overlap in the data section");
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static SafetensorsFormatException bad(Path path, String what) {
        return new SafetensorsFormatException(path + ": " + what);
    }

    public Path path() {
        return path;
    }

    /** The {@code __metadata__} entries. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names, sorted. */
    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    /** A tensor's header entry; a clear error if the name is absent. */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new GraftException(path + ": no tensor named '" + name + "'");
        }
        return t;
    }

    @Override
    public long[] shape(String name) {
        return info(name).shape().clone();
    }

    /** A read-only, little-endian, memory-mapped view of a tensor's bytes (at most 2 GiB per tensor). */
    public ByteBuffer buffer(String name) {
        TensorInfo t = info(name);
        if (t.byteSize() > Integer.MAX_VALUE - 8) {
            throw new GraftException(path + ": tensor '" + name + "' is " + t.byteSize()
                    + " bytes, more than one buffer can view; read it in parts");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new GraftException(path + ": cannot map tensor '" + name + "' (" + e.getMessage() + ")", e);
        }
    }

    /** The elements converted to float32 (F32, F16, BF16, F64; integer types convert exactly where they fit). */
    @Override
    public float[] readFloats(String name) {
        TensorInfo t = info(name);
        ByteBuffer b = buffer(name);
        int n = Math.toIntExact(t.elementCount());
        float[] out = new float[n];
        switch (t.dtype()) {
            case F32 -> b.asFloatBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = FloatFormats.halfToFloat(b.getShort(i * 2));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = FloatFormats.bf16ToFloat(b.getShort(i * 2));
                }
            }
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) b.getDouble(i * 8);
                }
            }
            case I64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getLong(i * 8);
                }
            }
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getInt(i * 4);
                }
            }
            case I16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getShort(i * 2);
                }
            }
            case I8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i);
                }
            }
            case U8, BOOL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i) & 0xff;
                }
            }
        }
        unmap(b);
        return out;
    }

    private static final sun.misc.Unsafe UNSAFE = unsafe();

    private static sun.misc.Unsafe unsafe() {
        try {
            java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Releases a mapping this class made and no one else holds, at once rather than at some later GC: otherwise
     * every tensor read stays mapped (and its pages count in the process's resident memory) until the buffer
     * object is collected, which made a streaming merge's RSS grow with the model's size.
     */
    static void unmap(ByteBuffer b) {
        if (UNSAFE != null && b.isDirect()) {
            try {
                UNSAFE.invokeCleaner(b);
            } catch (RuntimeException ignored) {
                // a view or an already-released buffer: the GC will release it
            }
        }
    }

    /**
     * Reads {@code count} elements starting at element {@code from} of a float tensor (F32, F16, BF16, F64) into
     * {@code into[0..count)}: only that byte range is mapped, and it is unmapped before returning, so reading a
     * tensor piece by piece keeps neither the whole tensor in memory nor its pages in this process's resident set.
     */
    public void readFloats(String name, long from, float[] into, int count) {
        if (count > into.length) {
            throw new GraftException(path + ": " + count + " elements of '" + name + "' do not fit in " + into.length);
        }
        try (FloatRange r = mapFloats(name, from, count)) {
            r.read(0, into, count);
        }
    }

    /**
     * Maps elements [from, from + count) of a float tensor (F32, F16, BF16, F64) for decoding piece by piece; close the
     * range to unmap them.
     */
    public FloatRange mapFloats(String name, long from, int count) {
        TensorInfo t = info(name);
        if (from < 0 || count < 0 || from + count > t.elementCount()) {
            throw new GraftException(path + ": range [" + from + ", " + (from + count) + ") is outside tensor '" + name + "'");
        }
        DType d = t.dtype();
        if (d != DType.F32 && d != DType.F16 && d != DType.BF16 && d != DType.F64) {
            throw new GraftException(path + ": tensor '" + name + "' is " + d + ", not a float type");
        }
        int size = d.size();
        ByteBuffer b;
        try {
            b = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin() + from * size, (long) count * size)
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new GraftException(path + ": cannot map tensor '" + name + "' (" + e.getMessage() + ")", e);
        }
        return new FloatRange(b, d, count, path + ": tensor '" + name + "'");
    }

    /** The elements of an integer tensor (I64, I32, I16, I8, U8, BOOL). */
    public long[] readLongs(String name) {
        TensorInfo t = info(name);
        ByteBuffer b = buffer(name);
        int n = Math.toIntExact(t.elementCount());
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (t.dtype()) {
                case I64 -> b.getLong(i * 8);
                case I32 -> b.getInt(i * 4);
                case I16 -> b.getShort(i * 2);
                case I8 -> b.get(i);
                case U8, BOOL -> b.get(i) & 0xff;
                default -> throw new GraftException(path + ": tensor '" + name + "' is " + t.dtype() + ", not an integer type");
            };
        }
        return out;
    }

    @Override
    public String description() {
        return path.toString();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new GraftException(path + ": cannot close (" + e.getMessage() + ")", e);
        }
    }
}
