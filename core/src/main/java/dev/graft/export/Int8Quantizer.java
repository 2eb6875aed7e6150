package dev.graft.export;

import dev.graft.io.onnx.Int8MatMul;
import dev.graft.io.onnx.Int8Rewriter;
import dev.graft.io.onnx.OnnxGraphBuilder;
import dev.graft.text.TokenizedText;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Turns an fp32 export into an int8 one by measurement on calibration texts:
 * <ol>
 *   <li>runs the fp32 graph once, recording each dense product's input (per-channel maxima, and a sample of rows) and
 *       the reference sentence embeddings;</li>
 *   <li>smooths every product's input (SmoothQuant, {@code s = max|x|^α / max|W|^(1-α)} per input channel);</li>
 *   <li>measures each product's own quantisation error on the recorded rows ({@link Int8Error}) and keeps the worst
 *       ones in fp32: the fewest for which the int8 graph's worst cosine to fp32 on the calibration texts reaches the
 *       target (at most {@code maxFp32}; each fp32 product costs speed), found by bisection ({@link Fallback}).</li>
 * </ol>
 * Ranking the fallback by gains measured in ONNX Runtime instead ({@code Settings.measured}, greedy on the worst text)
 * did worse: gains measured one product at a time do not add up. With 12 fp32 products on all-minilm-l6-v2 the worst
 * calibration text reached 0.9949 against the proxy's 0.9962; on bge-small-en-v1.5 the worst of the parity inputs and
 * 500 fortune quotes stayed at 0.992, as with the proxy.
 */
final class Int8Quantizer {
    /** Sentence-embedding output the cosine is measured on. */
    private static final String OUT = OnnxExporter.SENTENCE_EMBEDDING;
    private static final int BATCH = 16;
    /** Rows kept per product input for the error estimate. */
    private static final int ROWS = 256;

    /**
     * How to quantise.
     *
     * @param alpha   SmoothQuant's largest migration strength (0: no smoothing); each input gets the strength among
     *                0, 0.25, … alpha with the least measured error
     * @param target  the worst cosine to fp32 to reach on the calibration texts
     * @param maxFp32 at most this many products stay fp32
     * @param measured how many of the proxy's worst products to reorder by their fallback gain measured in ONNX
     *                 Runtime (0, the default: the proxy's order); each costs one run over the calibration texts
     */
    record Settings(Int8MatMul.Form form, double alpha, double target, int maxFp32, int measured) {
        static Settings defaults() {
            return new Settings(Int8MatMul.Form.INTEGER_U8U8, 0.5, 0.997, 12, 0);
        }
    }

    /**
     * The int8 graph and what was measured.
     *
     * @param fp32Weights the products kept in fp32, worst error first
     * @param products    how many products the graph has in all
     * @param cosine      the worst and mean cosine to fp32 on the calibration texts
     */
    record Outcome(OnnxGraphBuilder graph, List<String> fp32Weights, int products, CosineStats cosine) {
    }

    private Int8Quantizer() {
    }

    static Outcome quantize(OnnxGraphBuilder fp32, Predicate<String> eligible, List<TokenizedText> calibration, Settings s) {
        List<Int8Rewriter.Candidate> cands = Int8Rewriter.candidates(fp32, eligible);
        List<List<TokenizedText>> batches = batches(calibration);
        Set<String> inputs = new LinkedHashSet<>();
        cands.forEach(c -> inputs.add(c.input()));
        Map<String, Int8Error.Activations> acts = new HashMap<>();
        List<float[]> reference = new ArrayList<>();
        OnnxGraphBuilder probe = Int8Rewriter.withOutputs(fp32, List.copyOf(inputs));
        Set<String> fetch = new HashSet<>(inputs);
        fetch.add(OUT);
        try (OrtGraphRunner r = new OrtGraphRunner(probe, 1)) {
            for (List<TokenizedText> b : batches) {
                Map<String, float[]> out = r.run(b, fetch);
                reference.add(out.get(OUT));
                for (Int8Rewriter.Candidate c : cands) {
                    acts.computeIfAbsent(c.input(), k -> new Int8Error.Activations(c.in(), ROWS)).add(out.get(c.input()), b);
                }
            }
        }
        // per input, the smoothing strength (none, or up to alpha) with the least measured error over its products
        Map<String, float[]> smoothing = new HashMap<>();
        Map<String, Double> error = new HashMap<>();
        for (double a : alphas(s.alpha())) {
            Map<String, float[]> divisors = a > 0 ? smoothing(fp32, cands, acts, a) : Map.of();
            Map<String, Double> errors = new HashMap<>();
            Map<String, Double> total = new HashMap<>();
            for (Int8Rewriter.Candidate c : cands) {
                double e = Int8Error.relative(acts.get(c.input()), Int8Rewriter.floats(fp32, c.weight()), c.in(), c.out(),
                        divisors.get(c.input()));
                errors.put(c.weight(), e);
                total.merge(c.input(), e, Double::sum);
            }
            for (String input : inputs) {
                double best = cands.stream().filter(c -> c.input().equals(input)).mapToDouble(c -> error.getOrDefault(c.weight(),
                        Double.MAX_VALUE / 64)).sum();
                if (total.get(input) < best) {
                    cands.stream().filter(c -> c.input().equals(input)).forEach(c -> error.put(c.weight(), errors.get(c.weight())));
                    if (a > 0) {
                        smoothing.put(input, divisors.get(input));
                    } else {
                        smoothing.remove(input);
                    }
                }
            }
        }
        List<String> proxyOrder = cands.stream().map(Int8Rewriter.Candidate::weight)
                .sorted(Comparator.comparingDouble((String w) -> error.get(w)).reversed()).toList();
        Fallback fb = new Fallback(fp32, cands, s.form(), smoothing, batches, reference);
        List<String> order = fb.rank(proxyOrder, s.measured());
        return fb.fewest(order, s.maxFp32(), s.target());
    }

    /** The smoothing strengths tried: 0 and steps of 0.25 up to {@code max}. */
    static List<Double> alphas(double max) {
        List<Double> a = new ArrayList<>(List.of(0.0));
        for (double x = 0.25; x <= max + 1e-9; x += 0.25) {
            a.add(x);
        }
        return a;
    }

    /**
     * SmoothQuant divisors per product input: {@code s[i] = max|x_i|^α / max_j|W_ij|^(1-α)}, the weight maximum taken
     * over every product reading that input (they share one divided input).
     */
    static Map<String, float[]> smoothing(OnnxGraphBuilder fp32, List<Int8Rewriter.Candidate> cands,
                                          Map<String, Int8Error.Activations> acts, double alpha) {
        Map<String, float[]> wmax = new HashMap<>();
        for (Int8Rewriter.Candidate c : cands) {
            float[] w = Int8Rewriter.floats(fp32, c.weight());
            float[] m = wmax.computeIfAbsent(c.input(), k -> new float[c.in()]);
            for (int i = 0; i < c.in(); i++) {
                for (int j = 0; j < c.out(); j++) {
                    m[i] = Math.max(m[i], Math.abs(w[i * c.out() + j]));
                }
            }
        }
        Map<String, float[]> out = new HashMap<>();
        wmax.forEach((input, m) -> out.put(input, divisors(acts.get(input).channelMax(), m, alpha)));
        return out;
    }

    /** {@code x^α / w^(1-α)} per channel, 1 where either maximum is zero. */
    static float[] divisors(float[] xmax, float[] wmax, double alpha) {
        float[] s = new float[xmax.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = xmax[i] > 0 && wmax[i] > 0 ? (float) (Math.pow(xmax[i], alpha) / Math.pow(wmax[i], 1 - alpha)) : 1f;
        }
        return s;
    }

    /** Worst and mean cosine of {@code g}'s sentence embeddings to {@code reference}, batch by batch. */
    static CosineStats cosine(OnnxGraphBuilder g, List<List<TokenizedText>> batches, List<float[]> reference) {
        return CosineStats.of(cosines(g, batches, reference));
    }

    /** Each text's cosine of {@code g}'s sentence embedding to {@code reference}, in batch order. */
    static double[] cosines(OnnxGraphBuilder g, List<List<TokenizedText>> batches, List<float[]> reference) {
        CosineStats.Builder stats = new CosineStats.Builder();
        try (OrtGraphRunner r = new OrtGraphRunner(g, 1)) {
            for (int i = 0; i < batches.size(); i++) {
                stats.addRows(reference.get(i), r.run(batches.get(i), Set.of(OUT)).get(OUT), batches.get(i).size());
            }
        }
        return stats.values();
    }

    /** Texts sorted by length into batches of {@value #BATCH}, as an embedder would pad them. */
    static List<List<TokenizedText>> batches(List<TokenizedText> texts) {
        List<TokenizedText> sorted = new ArrayList<>(texts);
        sorted.sort(Comparator.comparingInt(TokenizedText::length));
        List<List<TokenizedText>> out = new ArrayList<>();
        for (int i = 0; i < sorted.size(); i += BATCH) {
            out.add(sorted.subList(i, Math.min(sorted.size(), i + BATCH)));
        }
        return out;
    }
}
