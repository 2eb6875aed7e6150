package dev.graft.io.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Dynamic 8-bit quantisation of one {@code MatMul(x, W) (+ b)} with a constant weight W [in, out], as ONNX Runtime's
 * dynamic quantisation does it: the weight is stored in 8 bits with one scale per output column (symmetric); the
 * activations are quantised per tensor at run time (uint8, asymmetric), multiplied in integers (int32 accumulators) and
 * rescaled by {@code x_scale · w_scale[j]}. The {@link Form} says which operators carry it.
 */
public final class Int8MatMul {
    /** The largest weight magnitude after quantisation (8 bits, symmetric). */
    static final int LEVELS = 127;
    /** With {@code reduceRange}: 7 bits, so that uint8×int8 pair sums fit 16 bits on AVX2 without VNNI. */
    static final int REDUCED_LEVELS = 63;
    /** uint8 weights are stored around this zero point. */
    static final int ZERO = 128;

    /** The operators that carry the product. */
    public enum Form {
        /**
         * {@code DynamicQuantizeLinear} + {@code MatMulInteger} with uint8 weights around 128, then Cast and Mul by
         * {@code x_scale · w_scale}: standard ONNX, which ONNX Runtime fuses into {@code DynamicQuantizeMatMul}.
         */
        INTEGER_U8U8,
        /** As {@link #INTEGER_U8U8} with int8 weights (zero point 0): ONNX Runtime's u8s8 kernels. */
        INTEGER_U8S8,
        /**
         * ONNX Runtime's own {@code com.microsoft.DynamicQuantizeMatMul} (int8 weights, bias inside): one node, no
         * fusion needed; runs in ONNX Runtime only.
         */
        CONTRIB_U8S8,
        /**
         * A QDQ graph: {@code DynamicQuantizeLinear} → {@code DequantizeLinear} on the activations, {@code
         * DequantizeLinear} (per axis) on int8 weights, a float {@code MatMul}; ONNX Runtime's QDQ fusion turns it into
         * an integer product.
         */
        QDQ_U8S8;

        boolean uint8Weights() {
            return this == INTEGER_U8U8;
        }
    }

    private Int8MatMul() {
    }

    /**
     * Per-column symmetric scales of W [in, out]: {@code max_i |W[i, j]| / levels} (1 for an all-zero column).
     */
    static float[] scales(float[] w, int in, int out, int levels) {
        float[] scale = new float[out];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                scale[j] = Math.max(scale[j], Math.abs(w[i * out + j]));
            }
        }
        for (int j = 0; j < out; j++) {
            scale[j] = scale[j] == 0 ? 1 : scale[j] / levels;
        }
        return scale;
    }

    /** W [in, out] quantised with per-column {@code scale}, as int8 or as uint8 around {@link #ZERO}. */
    static ByteBuffer quantize(float[] w, int in, int out, float[] scale, int levels, boolean uint8) {
        ByteBuffer q = ByteBuffer.allocate(in * out).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                int v = Math.max(-levels, Math.min(levels, Math.round(w[i * out + j] / scale[j])));
                q.put((byte) (uint8 ? ZERO + v : v));
            }
        }
        return q.flip();
    }

    /**
     * Adds the quantised product to {@code g}.
     *
     * @param name        the weight's name (its initializers are {@code name}_quantized, _scale, _zero_point)
     * @param w           W row-major [in, out] (already transposed from a dense layer's [out, in])
     * @param bias        the name of a float [out] initializer to add, or null
     * @param x           [..., in] float
     * @param reduceRange 7-bit weights instead of 8
     * @return [..., out] float
     */
    public static String emit(OnnxGraphBuilder g, String name, float[] w, int in, int out, String bias, String x,
                              Form form, boolean reduceRange) {
        int levels = reduceRange ? REDUCED_LEVELS : LEVELS;
        float[] scale = scales(w, in, out, levels);
        boolean u8 = form.uint8Weights();
        int type = u8 ? OnnxGraphBuilder.UINT8 : OnnxGraphBuilder.INT8;
        String wq = g.initializer(name + "_quantized", type, new long[] {in, out}, quantize(w, in, out, scale, levels, u8));
        String ws = g.weight(name + "_scale", scale, out);
        String y;
        switch (form) {
            case CONTRIB_U8S8 -> {
                List<String> inputs = new ArrayList<>(List.of(x, wq, ws, ""));
                if (bias != null) {
                    inputs.add(bias);
                } else {
                    inputs.remove(3);
                }
                return g.contribOp("DynamicQuantizeMatMul", inputs);
            }
            case QDQ_U8S8 -> {
                List<String> dq = g.op("DynamicQuantizeLinear", List.of(x), 3);
                String xf = g.op("DequantizeLinear", List.of(dq.get(0), dq.get(1), dq.get(2)));
                String wz = g.initializer(name + "_zero_point", type, new long[] {out}, ByteBuffer.allocate(out));
                String wf = g.op("DequantizeLinear", List.of(wq, ws, wz), OnnxGraphBuilder.Attribute.of("axis", 1L));
                y = g.matMul(xf, wf);
            }
            default -> {
                String wz = g.initializer(name + "_zero_point", type, new long[0],
                        ByteBuffer.wrap(new byte[] {(byte) (u8 ? ZERO : 0)}));
                List<String> dq = g.op("DynamicQuantizeLinear", List.of(x), 3);
                String product = g.op("MatMulInteger", List.of(dq.get(0), wq, dq.get(2), wz));
                y = g.mul(g.cast(product, OnnxGraphBuilder.FLOAT), g.mul(dq.get(1), ws));
            }
        }
        return bias == null ? y : g.add(y, bias);
    }
}
