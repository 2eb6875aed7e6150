package dev.graft.model.engine;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Makes intermediate values of an ONNX model graph outputs, so that ONNX Runtime returns them (every layer's hidden
 * state for per-layer features). Protobuf merges a repeated occurrence of an embedded message field into the first,
 * so appending a second {@code ModelProto.graph} (field 7) that holds only {@code GraphProto.output} entries (field
 * 12, {@code ValueInfoProto} with just a name, field 1) adds outputs without re-encoding the model; ONNX Runtime
 * infers their types from the nodes that compute them.
 */
final class GraphOutputs {
    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_OUTPUT = 12;
    private static final int VALUE_INFO_NAME = 1;

    private GraphOutputs() {
    }

    /** @return {@code model} with {@code names} appended to its graph's outputs */
    static byte[] append(byte[] model, List<String> names) {
        try {
            ByteArrayOutputStream graph = new ByteArrayOutputStream();
            CodedOutputStream g = CodedOutputStream.newInstance(graph);
            for (String name : names) {
                ByteArrayOutputStream info = new ByteArrayOutputStream();
                CodedOutputStream v = CodedOutputStream.newInstance(info);
                v.writeString(VALUE_INFO_NAME, name);
                v.flush();
                g.writeBytes(GRAPH_OUTPUT, ByteString.copyFrom(info.toByteArray()));
            }
            g.flush();
            ByteArrayOutputStream out = new ByteArrayOutputStream(model.length + graph.size() + 16);
            out.write(model);
            CodedOutputStream m = CodedOutputStream.newInstance(out);
            m.writeBytes(MODEL_GRAPH, ByteString.copyFrom(graph.toByteArray()));
            m.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in-memory streams do not fail
        }
    }
}
