package dev.graft.io.onnx;

import dev.graft.io.FloatFormats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor stored in an ONNX file (an initializer or a Constant node's value).
 *
 * @param name     the tensor's name in the graph (may be anonymous, e.g. {@code onnx::MatMul_123})
 * @param dataType ONNX {@code TensorProto.DataType} code (1 = FLOAT, 7 = INT64, ...)
 * @param dims     the shape, outermost first
 * @param data     little-endian raw bytes of the elements, in row-major order
 */
public record OnnxTensor(String name, int dataType, long[] dims, ByteBuffer data) {

    /** ONNX data type codes used by the readers. */
    public static final int FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6, INT64 = 7, BOOL = 9,
            FLOAT16 = 10, DOUBLE = 11, BFLOAT16 = 16;

    /** Number of elements: the product of {@link #dims()} (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    /** The elements as floats; accepts FLOAT, FLOAT16, BFLOAT16 and DOUBLE tensors. */
    public float[] toFloatArray() {
        int n = Math.toIntExact(elementCount());
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[n];
        switch (dataType) {
            case FLOAT -> b.asFloatBuffer().get(out);
            case DOUBLE -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) b.getDouble(i * 8);
                }
            }
            case FLOAT16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = FloatFormats.halfToFloat(b.getShort(i * 2));
                }
            }
            case BFLOAT16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = FloatFormats.bf16ToFloat(b.getShort(i * 2));
                }
            }
            default -> throw new IllegalStateException("ONNX tensor '" + name + "' has data type " + dataType
                    + ", expected a floating-point type");
        }
        return out;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(dims) + " type " + dataType;
    }
}
