package dev.graft.io.onnx;

import com.google.protobuf.CodedOutputStream;
import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes an {@link OnnxGraphBuilder} as an ONNX model file (a protobuf {@code ModelProto}), with Graft's own
 * field-number encoder over {@link CodedOutputStream}. Field numbers, from the ONNX IR spec ({@code onnx.proto}), as
 * {@link OnnxModelReader} decodes them:
 * <ul>
 *   <li>ModelProto: ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7, opset_import 8,
 *       metadata_props 14 (StringStringEntryProto: key 1, value 2); OperatorSetIdProto: domain 1, version 2;</li>
 *   <li>GraphProto: node 1, name 2, initializer 5, input 11, output 12;</li>
 *   <li>NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7; AttributeProto: name 1, f 2, i 3, s 4,
 *       floats 7, ints 8, type 20;</li>
 *   <li>TensorProto: dims 1, data_type 2, name 8, raw_data 9 (weights as little-endian raw bytes);</li>
 *   <li>ValueInfoProto: name 1, type 2; TypeProto: tensor_type 1; TypeProto.Tensor: elem_type 1, shape 2;
 *       TensorShapeProto: dim 1; Dimension: dim_value 1, dim_param 2.</li>
 * </ul>
 * Repeated scalars are written unpacked (proto2's encoding, which every reader accepts). Weights are streamed to the
 * file, not copied into one buffer; the file is written atomically (temporary file, then rename).
 */
public final class OnnxModelWriter {
    /** IR version 8 goes with opset 17 (ONNX 1.12). */
    public static final long IR_VERSION = 8;
    /** A protobuf message cannot exceed 2 GiB; larger models would need external data, which Graft does not write. */
    static final long MAX_BYTES = Integer.MAX_VALUE - 1024L * 1024;

    private OnnxModelWriter() {
    }

    /**
     * Writes {@code graph} to {@code file}.
     *
     * @param producer the tool name and version, e.g. {@code graft 0.1.0}
     * @param metadata key/value pairs stored in the model (ModelProto.metadata_props)
     * @throws GraftException when the model would exceed 2 GiB, naming the file
     */
    public static void write(Path file, OnnxGraphBuilder graph, String producer, Map<String, String> metadata) throws IOException {
        if (graph.initializerBytes() > MAX_BYTES) {
            throw new GraftException(file + ": the weights take " + graph.initializerBytes() + " bytes, more than an ONNX"
                    + " file holds without external data (2 GiB); exporting models this large is not supported");
        }
        String name = producer.contains(" ") ? producer.substring(0, producer.indexOf(' ')) : producer;
        String version = producer.contains(" ") ? producer.substring(producer.indexOf(' ') + 1) : "";
        AtomicFiles.write(file, channel -> {
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 20);
            CodedOutputStream c = CodedOutputStream.newInstance(out, 1 << 16);
            c.writeInt64(1, IR_VERSION);
            c.writeString(2, name);
            if (!version.isEmpty()) {
                c.writeString(3, version);
            }
            writeGraph(c, graph);
            c.writeByteArray(8, message(o -> o.writeInt64(2, OnnxGraphBuilder.OPSET)));
            if (graph.usesContribOps()) {
                c.writeByteArray(8, message(o -> {
                    o.writeString(1, OnnxGraphBuilder.MICROSOFT);
                    o.writeInt64(2, 1);
                }));
            }
            for (Map.Entry<String, String> e : new LinkedHashMap<>(metadata).entrySet()) {
                c.writeByteArray(14, message(o -> {
                    o.writeString(1, e.getKey());
                    o.writeString(2, e.getValue());
                }));
            }
            c.flush();
            out.flush();
        });
    }

    private static void writeGraph(CodedOutputStream c, OnnxGraphBuilder graph) throws IOException {
        List<byte[]> nodes = new ArrayList<>();
        for (OnnxGraphBuilder.Node n : graph.nodes()) {
            nodes.add(node(n));
        }
        List<byte[]> inputs = new ArrayList<>();
        for (OnnxGraphBuilder.ValueInfo v : graph.inputs()) {
            inputs.add(valueInfo(v));
        }
        List<byte[]> outputs = new ArrayList<>();
        for (OnnxGraphBuilder.ValueInfo v : graph.outputs()) {
            outputs.add(valueInfo(v));
        }
        long size = CodedOutputStream.computeStringSize(2, "graft");
        for (byte[] b : nodes) {
            size += CodedOutputStream.computeByteArraySize(1, b);
        }
        for (OnnxGraphBuilder.Initializer t : graph.initializers()) {
            int s = tensorSize(t);
            size += CodedOutputStream.computeTagSize(5) + CodedOutputStream.computeUInt32SizeNoTag(s) + s;
        }
        for (byte[] b : inputs) {
            size += CodedOutputStream.computeByteArraySize(11, b);
        }
        for (byte[] b : outputs) {
            size += CodedOutputStream.computeByteArraySize(12, b);
        }
        if (size > MAX_BYTES) {
            throw new GraftException("the ONNX graph takes " + size + " bytes, more than a protobuf message holds (2 GiB)");
        }
        c.writeTag(7, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
        c.writeUInt32NoTag((int) size);
        for (byte[] b : nodes) {
            c.writeByteArray(1, b);
        }
        c.writeString(2, "graft");
        for (OnnxGraphBuilder.Initializer t : graph.initializers()) {
            c.writeTag(5, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
            c.writeUInt32NoTag(tensorSize(t));
            writeTensor(c, t);
        }
        for (byte[] b : inputs) {
            c.writeByteArray(11, b);
        }
        for (byte[] b : outputs) {
            c.writeByteArray(12, b);
        }
    }

    private static int tensorSize(OnnxGraphBuilder.Initializer t) {
        int s = 0;
        for (long d : t.dims()) {
            s += CodedOutputStream.computeInt64Size(1, d);
        }
        s += CodedOutputStream.computeInt32Size(2, t.dataType());
        s += CodedOutputStream.computeStringSize(8, t.name());
        int raw = t.data().remaining();
        s += CodedOutputStream.computeTagSize(9) + CodedOutputStream.computeUInt32SizeNoTag(raw) + raw;
        return s;
    }

    private static void writeTensor(CodedOutputStream c, OnnxGraphBuilder.Initializer t) throws IOException {
        for (long d : t.dims()) {
            c.writeInt64(1, d);
        }
        c.writeInt32(2, t.dataType());
        c.writeString(8, t.name());
        ByteBuffer data = t.data().duplicate();
        c.writeTag(9, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
        c.writeUInt32NoTag(data.remaining());
        c.writeRawBytes(data);
    }

    private static byte[] node(OnnxGraphBuilder.Node n) {
        return message(o -> {
            for (String i : n.inputs()) {
                o.writeString(1, i);
            }
            for (String out : n.outputs()) {
                o.writeString(2, out);
            }
            o.writeString(3, n.name());
            o.writeString(4, n.opType());
            if (!n.domain().isEmpty()) {
                o.writeString(7, n.domain());
            }
            for (OnnxGraphBuilder.Attribute a : n.attributes()) {
                o.writeByteArray(5, attribute(a));
            }
        });
    }

    private static byte[] attribute(OnnxGraphBuilder.Attribute a) {
        return message(o -> {
            o.writeString(1, a.name());
            switch (a.type()) {
                case OnnxGraphBuilder.Attribute.FLOAT_TYPE -> o.writeFloat(2, a.f());
                case OnnxGraphBuilder.Attribute.INT_TYPE -> o.writeInt64(3, a.i());
                case OnnxGraphBuilder.Attribute.STRING_TYPE -> o.writeByteArray(4, a.s().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                case OnnxGraphBuilder.Attribute.FLOATS_TYPE -> {
                    for (float f : a.floats()) {
                        o.writeFloat(7, f);
                    }
                }
                case OnnxGraphBuilder.Attribute.INTS_TYPE -> {
                    for (long i : a.ints()) {
                        o.writeInt64(8, i);
                    }
                }
                default -> throw new IllegalArgumentException("attribute type " + a.type());
            }
            o.writeInt32(20, a.type());
        });
    }

    private static byte[] valueInfo(OnnxGraphBuilder.ValueInfo v) {
        byte[] shape = message(o -> {
            for (Object d : v.dims() == null ? List.of() : v.dims()) {
                o.writeByteArray(1, message(dim -> {
                    if (d instanceof Number n) {
                        dim.writeInt64(1, n.longValue());
                    } else {
                        dim.writeString(2, d.toString());
                    }
                }));
            }
        });
        byte[] tensorType = message(o -> {
            o.writeInt32(1, v.elemType());
            if (v.dims() != null) { // null: the shape is left to the reader's inference
                o.writeByteArray(2, shape);
            }
        });
        byte[] type = message(o -> o.writeByteArray(1, tensorType));
        return message(o -> {
            o.writeString(1, v.name());
            o.writeByteArray(2, type);
        });
    }

    @FunctionalInterface
    private interface Fields {
        void write(CodedOutputStream out) throws IOException;
    }

    /** Encodes a small message's fields into bytes (its length is then known to the enclosing message). */
    private static byte[] message(Fields fields) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            CodedOutputStream o = CodedOutputStream.newInstance(b);
            fields.write(o);
            o.flush();
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
