package dev.graft.io.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the graph and weights of an ONNX model straight from its protobuf encoding.
 *
 * <p>Only the fields weight import needs are decoded (field numbers from the ONNX IR spec, {@code onnx.proto}):
 * ModelProto.graph (7); GraphProto.node (1), initializer (5), input (11), output (12);
 * NodeProto.input (1), output (2), name (3), op_type (4), attribute (5);
 * AttributeProto.name (1), i (3), t (5); TensorProto.dims (1), data_type (2), float_data (4), int32_data (5),
 * int64_data (7), name (8), raw_data (9), double_data (10), external_data (13), data_location (14);
 * ValueInfoProto.name (1). Everything else is skipped. Raw tensor bytes are not copied: tensors are views
 * into the file's bytes.
 */
public final class OnnxModelReader {
    private static final int EXTERNAL = 1;

    private OnnxModelReader() {
    }

    /** Reads an ONNX file; tensors with external data are resolved relative to its folder. */
    public static OnnxGraph read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE - 8) {
            throw new OnnxFormatException(file + ": " + size + " bytes is larger than a protobuf ONNX file can be (2 GiB);"
                    + " large models keep their weights in external data files");
        }
        byte[] bytes = Files.readAllBytes(file);
        return parse(bytes, file.toString(), file.toAbsolutePath().getParent());
    }

    /** Reads an ONNX model from a stream (e.g. a jar resource); external data is not supported there. */
    public static OnnxGraph read(InputStream in, String sourceName) throws IOException {
        return parse(in.readAllBytes(), sourceName, null);
    }

    static OnnxGraph parse(byte[] bytes, String source, Path folder) throws IOException {
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setSizeLimit(Integer.MAX_VALUE);
            in.setRecursionLimit(64);
            OnnxGraph graph = null;
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                if (WireFormat.getTagFieldNumber(tag) == 7 && wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    int len = in.readRawVarint32();
                    int start = in.getTotalBytesRead();
                    checkLength(len, start, bytes.length, source);
                    graph = parseGraph(bytes, start, len, source, folder);
                    in.skipRawBytes(len);
                } else {
                    skip(in, tag);
                }
            }
            if (graph == null) {
                throw new OnnxFormatException(source + ": not an ONNX model (no graph found)");
            }
            return graph;
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new OnnxFormatException(source + ": not a valid ONNX protobuf file (" + e.getMessage() + ")");
        }
    }

    private static OnnxGraph parseGraph(byte[] bytes, int off, int len, String source, Path folder) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes, off, len);
        List<OnnxNode> nodes = new ArrayList<>();
        Map<String, OnnxTensor> inits = new LinkedHashMap<>();
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if (wireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED || (field != 1 && field != 5 && field != 11 && field != 12)) {
                skip(in, tag);
                continue;
            }
            int l = in.readRawVarint32();
            int start = off + in.getTotalBytesRead();
            checkLength(l, start, off + len, source);
            switch (field) {
                case 1 -> nodes.add(parseNode(bytes, start, l, source, folder));
                case 5 -> {
                    OnnxTensor t = parseTensor(bytes, start, l, source, folder);
                    inits.put(t.name(), t);
                }
                case 11 -> inputs.add(parseValueInfoName(bytes, start, l));
                default -> outputs.add(parseValueInfoName(bytes, start, l));
            }
            in.skipRawBytes(l);
        }
        for (OnnxNode n : nodes) {
            if (n.opType().equals("Constant") && n.tensorAttributes().containsKey("value") && !n.outputs().isEmpty()) {
                OnnxTensor t = n.tensorAttributes().get("value");
                String name = n.outputs().get(0);
                inits.putIfAbsent(name, new OnnxTensor(name, t.dataType(), t.dims(), t.data()));
            }
        }
        inputs.removeIf(inits::containsKey);
        return new OnnxGraph(nodes, inits, inputs, outputs);
    }

    private static OnnxNode parseNode(byte[] bytes, int off, int len, String source, Path folder) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes, off, len);
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String op = "";
        Map<String, OnnxTensor> tensorAttrs = new HashMap<>();
        Map<String, Long> intAttrs = new HashMap<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> inputs.add(in.readStringRequireUtf8());
                case 2 -> outputs.add(in.readStringRequireUtf8());
                case 3 -> name = in.readStringRequireUtf8();
                case 4 -> op = in.readStringRequireUtf8();
                case 5 -> {
                    int l = in.readRawVarint32();
                    int start = off + in.getTotalBytesRead();
                    checkLength(l, start, off + len, source);
                    parseAttribute(bytes, start, l, source, folder, tensorAttrs, intAttrs);
                    in.skipRawBytes(l);
                }
                default -> skip(in, tag);
            }
        }
        return new OnnxNode(name, op, inputs, outputs, tensorAttrs, intAttrs);
    }

    private static void parseAttribute(byte[] bytes, int off, int len, String source, Path folder,
                                       Map<String, OnnxTensor> tensors, Map<String, Long> ints) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes, off, len);
        String name = "";
        Long i = null;
        OnnxTensor t = null;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 1) {
                name = in.readStringRequireUtf8();
            } else if (field == 3 && wireType(tag) == WireFormat.WIRETYPE_VARINT) {
                i = in.readInt64();
            } else if (field == 5 && wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int l = in.readRawVarint32();
                int start = off + in.getTotalBytesRead();
                checkLength(l, start, off + len, source);
                t = parseTensor(bytes, start, l, source, folder);
                in.skipRawBytes(l);
            } else {
                skip(in, tag);
            }
        }
        if (t != null) {
            tensors.put(name, t);
        }
        if (i != null) {
            ints.put(name, i);
        }
    }

    private static String parseValueInfoName(byte[] bytes, int off, int len) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes, off, len);
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            if (WireFormat.getTagFieldNumber(tag) == 1) {
                return in.readStringRequireUtf8();
            }
            skip(in, tag);
        }
        return "";
    }

    private static OnnxTensor parseTensor(byte[] bytes, int off, int len, String source, Path folder) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes, off, len);
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        ByteBuffer raw = null;
        ByteBuffer typed = null;
        Map<String, String> external = new HashMap<>();
        int location = 0;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            boolean packed = wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
            switch (field) {
                case 1 -> readLongs(in, packed, dims);
                case 2 -> dataType = in.readInt32();
                case 8 -> name = in.readStringRequireUtf8();
                case 9 -> {
                    int l = in.readRawVarint32();
                    int start = off + in.getTotalBytesRead();
                    checkLength(l, start, off + len, source);
                    raw = ByteBuffer.wrap(bytes, start, l).slice().order(ByteOrder.LITTLE_ENDIAN);
                    in.skipRawBytes(l);
                }
                case 4 -> typed = append(typed, readFloats(in, packed));
                case 5 -> typed = append(typed, readInt32sAsType(in, packed, dataType));
                case 7 -> {
                    List<Long> v = new ArrayList<>();
                    readLongs(in, packed, v);
                    ByteBuffer b = ByteBuffer.allocate(v.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
                    v.forEach(b::putLong);
                    typed = append(typed, b.flip());
                }
                case 10 -> typed = append(typed, readDoubles(in, packed));
                case 13 -> {
                    int l = in.readRawVarint32();
                    int limit = in.pushLimit(l);
                    String k = "";
                    String v = "";
                    while (!in.isAtEnd()) {
                        int t = in.readTag();
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> k = in.readStringRequireUtf8();
                            case 2 -> v = in.readStringRequireUtf8();
                            default -> skip(in, t);
                        }
                    }
                    in.popLimit(limit);
                    external.put(k, v);
                }
                case 14 -> location = in.readInt32();
                default -> skip(in, tag);
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        long elements = checkedElementCount(name, shape, source);
        ByteBuffer data;
        if (location == EXTERNAL) {
            data = readExternal(name, external, source, folder);
        } else if (raw != null) {
            data = raw;
        } else if (typed != null) {
            data = typed.order(ByteOrder.LITTLE_ENDIAN);
        } else {
            data = ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        OnnxTensor t = new OnnxTensor(name, dataType, shape, data);
        int width = elementSize(dataType);
        // elements past 2^31 cannot match a buffer's size, and their byte count could overflow a long
        if (width > 0 && (elements > Integer.MAX_VALUE || data.remaining() != elements * width)) {
            throw new OnnxFormatException(source + ": tensor '" + name + "' holds " + data.remaining()
                    + " bytes but its shape " + java.util.Arrays.toString(shape) + " needs " + elements + " elements of "
                    + width + " bytes");
        }
        return t;
    }

    /** The product of the dimensions, refusing negative ones and products past a long (which could wrap to a match). */
    private static long checkedElementCount(String name, long[] shape, String source) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new OnnxFormatException(source + ": tensor '" + name + "' has a negative dimension in its shape "
                        + java.util.Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new OnnxFormatException(source + ": tensor '" + name + "' has an impossibly large shape "
                        + java.util.Arrays.toString(shape));
            }
        }
        return n;
    }

    private static ByteBuffer readExternal(String name, Map<String, String> ext, String source, Path folder) throws IOException {
        String location = ext.get("location");
        if (folder == null || location == null) {
            throw new OnnxFormatException(source + ": tensor '" + name + "' keeps its data in an external file,"
                    + " which can only be read when the model is loaded from a folder on disk");
        }
        Path file = folder.resolve(location).normalize();
        if (!file.startsWith(folder)) {
            throw new OnnxFormatException(source + ": tensor '" + name + "' points outside the model folder: " + location);
        }
        long offset = externalNumber(ext, "offset", 0, name, source);
        if (!Files.isRegularFile(file)) {
            throw new OnnxFormatException(source + ": tensor '" + name + "' keeps its data in " + file + ", which does not exist");
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r"); FileChannel ch = f.getChannel()) {
            long length = externalNumber(ext, "length", ch.size() - offset, name, source);
            if (offset < 0 || length < 0 || length > ch.size() - offset || length > Integer.MAX_VALUE) {
                throw new OnnxFormatException(source + ": tensor '" + name + "' external range [" + offset + ", +" + length
                        + ") is outside " + file + " (" + ch.size() + " bytes)");
            }
            return ch.map(FileChannel.MapMode.READ_ONLY, offset, length).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    private static long externalNumber(Map<String, String> ext, String key, long otherwise, String name, String source) {
        String v = ext.get(key);
        if (v == null) {
            return otherwise;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new OnnxFormatException(source + ": tensor '" + name + "' has external data " + key + " '" + v
                    + "'; expected a whole number of bytes");
        }
    }

    static int elementSize(int dataType) {
        return switch (dataType) {
            case OnnxTensor.FLOAT, OnnxTensor.INT32 -> 4;
            case OnnxTensor.INT64, OnnxTensor.DOUBLE -> 8;
            case OnnxTensor.FLOAT16, OnnxTensor.BFLOAT16 -> 2;
            case OnnxTensor.UINT8, OnnxTensor.INT8, OnnxTensor.BOOL -> 1;
            default -> -1;
        };
    }

    private static void readLongs(CodedInputStream in, boolean packed, List<Long> out) throws IOException {
        if (packed) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (!in.isAtEnd()) {
                out.add(in.readInt64());
            }
            in.popLimit(limit);
        } else {
            out.add(in.readInt64());
        }
    }

    private static ByteBuffer readFloats(CodedInputStream in, boolean packed) throws IOException {
        if (!packed) {
            return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(in.readFloat()).flip();
        }
        int l = in.readRawVarint32();
        return ByteBuffer.wrap(in.readRawBytes(l)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer readDoubles(CodedInputStream in, boolean packed) throws IOException {
        if (!packed) {
            return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(in.readDouble()).flip();
        }
        int l = in.readRawVarint32();
        return ByteBuffer.wrap(in.readRawBytes(l)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** int32_data also carries 8- and 16-bit types (one element per varint); re-pack them at their own width. */
    private static ByteBuffer readInt32sAsType(CodedInputStream in, boolean packed, int dataType) throws IOException {
        List<Integer> v = new ArrayList<>();
        if (packed) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (!in.isAtEnd()) {
                v.add(in.readInt32());
            }
            in.popLimit(limit);
        } else {
            v.add(in.readInt32());
        }
        int width = Math.max(1, elementSize(dataType));
        ByteBuffer b = ByteBuffer.allocate(v.size() * width).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) {
            switch (width) {
                case 1 -> b.put((byte) x);
                case 2 -> b.putShort((short) x);
                default -> b.putInt(x);
            }
        }
        return b.flip();
    }

    private static ByteBuffer append(ByteBuffer acc, ByteBuffer more) {
        if (acc == null) {
            return more;
        }
        ByteBuffer b = ByteBuffer.allocate(acc.remaining() + more.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(acc.duplicate()).put(more.duplicate());
        return b.flip();
    }

    /** Skips a field; an end-group tag outside a group (which skipField reports by returning false) is corrupt. */
    private static void skip(CodedInputStream in, int tag) throws IOException {
        if (!in.skipField(tag)) {
            throw new com.google.protobuf.InvalidProtocolBufferException("an end-group tag outside any group");
        }
    }

    private static int wireType(int tag) {
        return tag & 7;
    }

    private static void checkLength(int len, int start, int end, String source) {
        if (len < 0 || (long) start + len > end) {
            throw new OnnxFormatException(source + ": truncated or corrupt ONNX file (a field runs past the end of its message)");
        }
    }
}
