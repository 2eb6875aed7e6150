package dev.graft.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.graft.io.onnx.Int8MatMul;
import dev.graft.io.onnx.Int8Rewriter;
import dev.graft.io.onnx.OnnxGraphBuilder;
import dev.graft.io.onnx.OnnxModelWriter;
import dev.graft.text.TokenizedText;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The int8 pass's parts on a tiny graph: the rewrite, smoothing divisors, and the simulated per-product error. */
class Int8QuantizerTest {
    static final int IN = 16, OUT = 8, ROWS = 32;
    @TempDir
    Path dir;

    /** x [rows, IN] → MatMul(W [IN, OUT]) + b, one input channel 40× the others (an activation outlier). */
    static OnnxGraphBuilder graph(float[] w, float[] b) {
        OnnxGraphBuilder g = new OnnxGraphBuilder();
        String x = g.input("x", OnnxGraphBuilder.FLOAT, "rows", (long) IN);
        String y = g.add(g.matMul(x, g.weight("dense.weight", w, IN, OUT)), g.weight("dense.bias", b, OUT));
        g.output(y, "y", OnnxGraphBuilder.FLOAT, "rows", (long) OUT);
        return g;
    }

    static float[] random(Random r, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian() * scale;
        }
        return v;
    }

    static float[] inputs(Random r) {
        float[] x = random(r, ROWS * IN, 1);
        for (int i = 0; i < ROWS; i++) {
            x[i * IN + 3] *= 40; // the outlier channel
        }
        return x;
    }

    float[] run(OnnxGraphBuilder g, float[] x, String name) throws Exception {
        Path f = dir.resolve(name + ".onnx");
        OnnxModelWriter.write(f, g, "graft-test", Map.of());
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(f.toString(), o);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {ROWS, IN});
                 OrtSession.Result r = s.run(Map.of("x", in))) {
                float[] y = new float[ROWS * OUT];
                ((OnnxTensor) r.get(0)).getFloatBuffer().get(y);
                return y;
            }
        }
    }

    static double relativeError(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (a[i] - b[i]) * (a[i] - b[i]);
            den += a[i] * a[i];
        }
        return num / den;
    }

    @Test
    void rewriteQuantisesTheProductAndFoldsItsBias() throws Exception {
        Random r = new Random(1);
        OnnxGraphBuilder g = graph(random(r, IN * OUT, 0.1f), random(r, OUT, 0.1f));
        var cands = Int8Rewriter.candidates(g, w -> true);
        assertEquals(1, cands.size());
        assertEquals("dense.bias", cands.get(0).bias());
        float[] x = inputs(r);
        float[] fp32 = run(g, x, "fp32");
        for (Int8MatMul.Form form : Int8MatMul.Form.values()) {
            OnnxGraphBuilder q = Int8Rewriter.rewrite(g, cands, new Int8Rewriter.Plan(form, false, Set.of("dense.weight"), Map.of()));
            assertTrue(q.nodes().stream().noneMatch(n -> n.opType().equals("MatMul") && n.inputs().contains("dense.weight")), form.name());
            assertTrue(q.initializers().stream().noneMatch(t -> t.name().equals("dense.weight")), "the fp32 weight is dropped");
            double e = relativeError(fp32, run(q, x, form.name()));
            assertTrue(e < 1e-3, form + ": relative squared error " + e);
        }
        OnnxGraphBuilder kept = Int8Rewriter.rewrite(g, cands, new Int8Rewriter.Plan(Int8MatMul.Form.INTEGER_U8U8, false, Set.of(), Map.of()));
        assertArrayEquals(fp32, run(kept, x, "kept"), 0f);
    }

    @Test
    void smoothingMovesTheOutlierIntoTheWeightsAndReducesTheError() throws Exception {
        Random r = new Random(2);
        float[] w = random(r, IN * OUT, 0.1f);
        OnnxGraphBuilder g = graph(w, new float[OUT]);
        var cands = Int8Rewriter.candidates(g, n -> true);
        float[] x = inputs(r);
        float[] xmax = new float[IN];
        for (int i = 0; i < ROWS * IN; i++) {
            xmax[i % IN] = Math.max(xmax[i % IN], Math.abs(x[i]));
        }
        float[] wmax = new float[IN];
        for (int i = 0; i < IN * OUT; i++) {
            wmax[i / OUT] = Math.max(wmax[i / OUT], Math.abs(w[i]));
        }
        float[] s = Int8Quantizer.divisors(xmax, wmax, 0.5);
        float[] fp32 = run(g, x, "fp32");
        double plain = relativeError(fp32, run(Int8Rewriter.rewrite(g, cands,
                new Int8Rewriter.Plan(Int8MatMul.Form.INTEGER_U8U8, false, Set.of("dense.weight"), Map.of())), x, "plain"));
        double smoothed = relativeError(fp32, run(Int8Rewriter.rewrite(g, cands,
                new Int8Rewriter.Plan(Int8MatMul.Form.INTEGER_U8U8, false, Set.of("dense.weight"), Map.of("x", s))), x, "smoothed"));
        assertTrue(smoothed < plain, "smoothed " + smoothed + " vs plain " + plain);

        // the Java simulation ranks them the same way ONNX Runtime measures them
        Int8Error.Activations a = new Int8Error.Activations(IN, 1000);
        List<TokenizedText> rows = java.util.Collections.nCopies(ROWS, new TokenizedText(new long[1], new long[1]));
        a.add(x, rows);
        assertTrue(Int8Error.relative(a, w, IN, OUT, s) < Int8Error.relative(a, w, IN, OUT, null));
    }

    @Test
    void divisorsLeaveDeadChannelsAlone() {
        assertArrayEquals(new float[] {1f, 1f, 2f}, Int8Quantizer.divisors(new float[] {0, 3, 4}, new float[] {5, 0, 1}, 0.5), 1e-6f);
        assertEquals(List.of(0.0, 0.25, 0.5), Int8Quantizer.alphas(0.5));
    }

    @Test
    void fallbackOrderFixesTheWorstTextFirstThenTheMean() {
        // text 0 is the worst (0.990); "b" lifts the mean most but leaves text 0 alone, "a" lifts text 0, "c" little
        double[] base = {0.990, 0.996, 0.996};
        Map<String, double[]> gain = new java.util.LinkedHashMap<>();
        gain.put("b", new double[] {0, 0.003, 0.003});
        gain.put("a", new double[] {0.004, 0, 0});
        gain.put("c", new double[] {0.0005, 0, 0});
        // after "a" text 0 is at 0.994, still the worst: "c" raises it to 0.9945, "b" does not
        assertEquals(List.of("a", "c", "b"), Fallback.greedy(base, gain));
    }
}
