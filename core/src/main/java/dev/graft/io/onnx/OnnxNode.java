package dev.graft.io.onnx;

import java.util.List;
import java.util.Map;

/**
 * One operator node of an ONNX graph.
 *
 * @param name    node name (may be empty)
 * @param opType  operator, e.g. {@code MatMul}
 * @param inputs  names of the values it consumes, in order
 * @param outputs names of the values it produces
 * @param tensorAttributes tensor-valued attributes (a Constant node's {@code value})
 * @param intAttributes    integer attributes (e.g. Gemm's {@code transB})
 */
public record OnnxNode(String name, String opType, List<String> inputs, List<String> outputs,
                       Map<String, OnnxTensor> tensorAttributes, Map<String, Long> intAttributes) {
}
