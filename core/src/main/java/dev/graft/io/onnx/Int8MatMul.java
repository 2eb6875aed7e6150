package dev.graft.io.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Dynamic 8-bit quantisation of one {@code MatMul(x, W)} with a constant weight W [in, out], as ONNX Runtime's dynamic
 * quantisation does it: the weight is stored in 8 bits with one scale per output column (symmetric: levels -127..127
 * stored as uint8 around the zero point 128); the activations are quantised per tensor at run time
 * ({@code DynamicQuantizeLinear}, uint8), multiplied in integers ({@code MatMulInteger}, int32 accumulators) and
 * rescaled by {@code x_scale · w_scale[j]}:
 * <pre>
 *   xq, xs, xz = DynamicQuantizeLinear(x)
 *   y = Cast&lt;float&gt;(MatMulInteger(xq, Wq, xz, 128)) · (xs · ws)
 * </pre>
 * Why uint8 weights: on AVX2 without VNNI, uint8×int8 kernels add pairs of products in 16 bits and saturate with
 * full-range weights (ONNX Runtime's answer is 7-bit weights, {@code reduce_range}, which measured a worse cosine to
 * fp32 here); uint8×uint8 kernels widen first. ONNX Runtime fuses the pattern into one kernel when it optimises the
 * graph.
 */
public final class Int8MatMul {
    /** The largest weight magnitude after quantisation (7 bits). */
    static final int LEVELS = 127;
    /** Weights are stored as uint8 around this zero point (uint8×uint8 kernels do not saturate on AVX2). */
    static final int ZERO = 128;

    private Int8MatMul() {
    }

    /**
     * Adds the quantised product to {@code g}.
     *
     * @param name the weight's name (its initializers are {@code name}_quantized and {@code name}_scale)
     * @param w    W row-major [in, out] (already transposed from a dense layer's [out, in])
     * @param x    [..., in] float
     * @return [..., out] float
     */
    public static String emit(OnnxGraphBuilder g, String name, float[] w, int in, int out, String x) {
        float[] scale = new float[out];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                scale[j] = Math.max(scale[j], Math.abs(w[i * out + j]));
            }
        }
        for (int j = 0; j < out; j++) {
            scale[j] = scale[j] == 0 ? 1 : scale[j] / LEVELS;
        }
        ByteBuffer q = ByteBuffer.allocate(in * out).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                q.put((byte) (ZERO + Math.max(-LEVELS, Math.min(LEVELS, Math.round(w[i * out + j] / scale[j])))));
            }
        }
        String wq = g.initializer(name + "_quantized", OnnxGraphBuilder.UINT8, new long[] {in, out}, q.flip());
        String wz = g.initializer(name + "_zero_point", OnnxGraphBuilder.UINT8, new long[0],
                ByteBuffer.wrap(new byte[] {(byte) ZERO}));
        String ws = g.weight(name + "_scale", scale, out);
        List<String> dq = g.op("DynamicQuantizeLinear", List.of(x), 3);
        String product = g.op("MatMulInteger", List.of(dq.get(0), wq, dq.get(2), wz));
        String rescale = g.mul(dq.get(1), ws);
        return g.mul(g.cast(product, OnnxGraphBuilder.FLOAT), rescale);
    }
}
