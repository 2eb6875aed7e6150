package dev.graft.model;

import dev.graft.GraftException;
import dev.graft.runtime.Arrays2;
import dev.graft.io.onnx.OnnxGraphBuilder;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** How token vectors become one sentence vector. */
public enum Pooling {
    /** The first token's ([CLS]) last hidden state. */
    CLS,
    /** Mean of the last hidden states over real (non-padding) tokens. */
    MEAN,
    /** The HF pooler: tanh(dense(CLS)), as BERT's next-sentence head uses it. */
    POOLER;

    /** Parses a CLI/config name (case-insensitive): cls, mean, pooler. */
    public static Pooling parse(String name) {
        for (Pooling p : values()) {
            if (p.name().equalsIgnoreCase(name.trim())) {
                return p;
            }
        }
        throw new GraftException("unknown pooling '" + name + "': expected one of "
                + Arrays.toString(values()).toLowerCase(Locale.ROOT));
    }

    /** L2-normalises each row of [N][H] in place (a zero row stays zero). */
    public static void normalizeRows(float[][] rows) {
        for (float[] v : rows) {
            double n = 0;
            for (float x : v) {
                n += (double) x * x;
            }
            float inv = (float) (1 / Math.max(Math.sqrt(n), 1e-12));
            for (int k = 0; k < v.length; k++) {
                v[k] *= inv;
            }
        }
    }

    /**
     * Divides each row by its L2 norm (rows of norm 0 stay 0).
     *
     * @param x [B, H]
     * @return [B, H]
     */
    public static ai.djl.ndarray.NDArray normalizeRows(ai.djl.ndarray.NDArray x) {
        return x.div(x.norm(new int[] {1}, true).maximum(Arrays2.scalar(x.getManager(), 1e-12f)));
    }

    /**
     * The graph form of {@link Embedder#pool}.
     *
     * @param last   [B, T, H] last hidden state
     * @param mask   [B, T] int64 attention mask
     * @param pooled [B, H] the HF pooler's output, or null if the model has none
     * @return [B, H]
     */
    public String exportOnnx(OnnxGraphBuilder g, String last, String mask, String pooled) {
        try (var s = g.scope("pooling")) {
            return switch (this) {
                case CLS -> g.op("Gather", List.of(last, g.longs("pooling/first", new long[] {0})),
                        OnnxGraphBuilder.Attribute.of("axis", 1L));
                case POOLER -> {
                    if (pooled == null) {
                        throw new GraftException("pooling 'pooler' needs a model with pooler weights; use cls or mean");
                    }
                    yield pooled;
                }
                case MEAN -> {
                    String m = g.unsqueeze(g.cast(mask, OnnxGraphBuilder.FLOAT), 2); // [B, T, 1]
                    String sum = g.reduceSum(g.mul(last, m), false, 1);
                    String count = g.op("Max", List.of(g.reduceSum(m, false, 1), g.scalar(1e-9f)));
                    yield g.div(sum, count);
                }
            };
        }
    }

    /** The graph form of {@link #normalizeRows}: {@code x / max(‖x‖₂, 1e-12)} per row of [B, H]. */
    public static String exportNormalize(OnnxGraphBuilder g, String x) {
        try (var s = g.scope("normalize")) {
            String norm = g.op("ReduceL2", x, OnnxGraphBuilder.Attribute.ints("axes", 1), OnnxGraphBuilder.Attribute.of("keepdims", 1L));
            return g.div(x, g.op("Max", List.of(norm, g.scalar(1e-12f))));
        }
    }

    /** Lower-case name as used on the command line. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
