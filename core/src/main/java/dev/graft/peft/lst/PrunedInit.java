package dev.graft.peft.lst;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Initialises the side network from the backbone by structural pruning, as LST does (the paper uses Fisher
 * information to rank units; Graft ranks them by the L1 mass of the weights that read and write them, which needs no
 * data). Each side layer i is backbone layer i restricted to the kept units:
 * <ul>
 *   <li>residual dimensions S (|S| = H/r): those the backbone's query, key, value and intermediate projections read
 *       most, summed over layers; the ladders start as the selection of S, so the side stream starts as the pruned
 *       backbone stream;</li>
 *   <li>per layer, the query/key rows (one set for both, so scores stay meaningful), the value rows with the matching
 *       attention-output columns, and the intermediate units with the matching output columns, each by the L1 mass
 *       of their weights on S.</li>
 * </ul>
 * Values are row-major float arrays keyed by the side network's parameter names (without {@code side_network.}).
 */
final class PrunedInit {
    private final Map<String, float[]> backbone;
    private final int hidden;
    private final int intermediate;

    /** @param backbone the backbone's weights by HF name (row-major, PyTorch layout) */
    PrunedInit(Map<String, float[]> backbone, int hidden, int intermediate) {
        this.backbone = backbone;
        this.hidden = hidden;
        this.intermediate = intermediate;
    }

    Map<String, float[]> values(int layers, int sideHidden, int sideIntermediate) {
        int[] s = residualDims(layers, sideHidden);
        Map<String, float[]> out = new LinkedHashMap<>();
        for (int i = 0; i <= layers; i++) {
            float[] w = new float[sideHidden * hidden];
            for (int k = 0; k < sideHidden; k++) {
                w[k * hidden + s[k]] = 1f;
            }
            out.put("ladders." + i + ".weight", w);
            out.put("ladders." + i + ".bias", new float[sideHidden]);
        }
        out.put("gates", new float[layers]);
        for (int l = 0; l < layers; l++) {
            String b = "encoder.layer." + l + ".";
            String o = "layer." + l + ".";
            float[] q = w(b + "attention.self.query.weight");
            float[] k = w(b + "attention.self.key.weight");
            int[] qk = top(sideHidden, hidden, r -> rowMass(q, r, hidden, s) + rowMass(k, r, hidden, s));
            float[] v = w(b + "attention.self.value.weight");
            float[] ao = w(b + "attention.output.dense.weight");
            int[] vo = top(sideHidden, hidden, r -> rowMass(v, r, hidden, s) + colMass(ao, r, hidden, s));
            float[] in = w(b + "intermediate.dense.weight");
            float[] od = w(b + "output.dense.weight");
            int[] units = top(sideIntermediate, intermediate, r -> rowMass(in, r, hidden, s) + colMass(od, r, intermediate, s));
            out.put(o + "attention.self.query.weight", sub(q, hidden, qk, s));
            out.put(o + "attention.self.query.bias", pick(w(b + "attention.self.query.bias"), qk));
            out.put(o + "attention.self.key.weight", sub(k, hidden, qk, s));
            out.put(o + "attention.self.key.bias", pick(w(b + "attention.self.key.bias"), qk));
            out.put(o + "attention.self.value.weight", sub(v, hidden, vo, s));
            out.put(o + "attention.self.value.bias", pick(w(b + "attention.self.value.bias"), vo));
            out.put(o + "attention.output.dense.weight", sub(ao, hidden, s, vo));
            out.put(o + "attention.output.dense.bias", pick(w(b + "attention.output.dense.bias"), s));
            out.put(o + "attention.output.LayerNorm.weight", pick(w(b + "attention.output.LayerNorm.weight"), s));
            out.put(o + "attention.output.LayerNorm.bias", pick(w(b + "attention.output.LayerNorm.bias"), s));
            out.put(o + "intermediate.dense.weight", sub(in, hidden, units, s));
            out.put(o + "intermediate.dense.bias", pick(w(b + "intermediate.dense.bias"), units));
            out.put(o + "output.dense.weight", sub(od, intermediate, s, units));
            out.put(o + "output.dense.bias", pick(w(b + "output.dense.bias"), s));
            out.put(o + "output.LayerNorm.weight", pick(w(b + "output.LayerNorm.weight"), s));
            out.put(o + "output.LayerNorm.bias", pick(w(b + "output.LayerNorm.bias"), s));
        }
        return out;
    }

    /** Residual dimensions most read by the layers' input projections. */
    private int[] residualDims(int layers, int keep) {
        double[] mass = new double[hidden];
        for (int l = 0; l < layers; l++) {
            String b = "encoder.layer." + l + ".";
            for (String m : new String[] {"attention.self.query", "attention.self.key", "attention.self.value",
                "intermediate.dense"}) {
                float[] w = w(b + m + ".weight");
                int rows = w.length / hidden;
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < hidden; c++) {
                        mass[c] += Math.abs(w[r * hidden + c]);
                    }
                }
            }
        }
        return top(keep, hidden, c -> mass[c]);
    }

    private float[] w(String name) {
        float[] v = backbone.get(name);
        if (v == null) {
            throw new IllegalStateException("LST pruned initialisation: the backbone has no tensor " + name);
        }
        return v;
    }

    /** The {@code keep} indices of [0, n) with the largest score, in ascending order. */
    private static int[] top(int keep, int n, java.util.function.IntToDoubleFunction score) {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = score.applyAsDouble(i);
        }
        return IntStream.range(0, n).boxed().sorted(Comparator.comparingDouble((Integer i) -> -s[i]).thenComparing(i -> i))
                .limit(keep).mapToInt(Integer::intValue).sorted().toArray();
    }

    private static double rowMass(float[] w, int row, int cols, int[] colsKept) {
        double m = 0;
        for (int c : colsKept) {
            m += Math.abs(w[row * cols + c]);
        }
        return m;
    }

    private static double colMass(float[] w, int col, int cols, int[] rowsKept) {
        double m = 0;
        for (int r : rowsKept) {
            m += Math.abs(w[r * cols + col]);
        }
        return m;
    }

    /** w[rows, cols] of a row-major matrix with {@code width} columns. */
    private static float[] sub(float[] w, int width, int[] rows, int[] cols) {
        float[] out = new float[rows.length * cols.length];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < cols.length; j++) {
                out[i * cols.length + j] = w[rows[i] * width + cols[j]];
            }
        }
        return out;
    }

    private static float[] pick(float[] v, int[] idx) {
        float[] out = new float[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = v[idx[i]];
        }
        return out;
    }
}
