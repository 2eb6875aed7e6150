package dev.graft.export;

import dev.graft.io.onnx.Int8MatMul;
import dev.graft.io.onnx.Int8Rewriter;
import dev.graft.io.onnx.OnnxGraphBuilder;
import dev.graft.text.TokenizedText;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Chooses which dense products an int8 graph keeps in fp32, by the cosine ONNX Runtime measures on the calibration
 * texts (one session and one pass over the texts per graph tried).
 */
final class Fallback {
    private final OnnxGraphBuilder fp32;
    private final List<Int8Rewriter.Candidate> cands;
    private final Int8MatMul.Form form;
    private final Map<String, float[]> smoothing;
    private final List<List<TokenizedText>> batches;
    private final List<float[]> reference;
    /** Per-text cosines of the graphs measured so far, by their fp32 set (sorted names joined). */
    private final Map<String, double[]> measured = new LinkedHashMap<>();

    /**
     * @param batches   the calibration texts, batched
     * @param reference fp32 sentence embeddings per batch, [batch, hidden] flattened
     */
    Fallback(OnnxGraphBuilder fp32, List<Int8Rewriter.Candidate> cands, Int8MatMul.Form form, Map<String, float[]> smoothing,
             List<List<TokenizedText>> batches, List<float[]> reference) {
        this.fp32 = fp32;
        this.cands = cands;
        this.form = form;
        this.smoothing = smoothing;
        this.batches = batches;
        this.reference = reference;
    }

    /**
     * The order to move products to fp32 in: the first {@code shortlist} of {@code proxyOrder} ordered by their gain
     * measured one at a time ({@link #greedy}), then the rest in proxy order.
     */
    List<String> rank(List<String> proxyOrder, int shortlist) {
        List<String> pool = new ArrayList<>(proxyOrder.subList(0, Math.min(shortlist, proxyOrder.size())));
        if (pool.isEmpty()) {
            return proxyOrder;
        }
        double[] base = cosines(List.of());
        Map<String, double[]> gain = new LinkedHashMap<>();
        for (String p : pool) {
            double[] c = cosines(List.of(p));
            double[] g = new double[c.length];
            for (int t = 0; t < c.length; t++) {
                g[t] = c[t] - base[t];
            }
            gain.put(p, g);
        }
        List<String> order = greedy(base, gain);
        proxyOrder.stream().filter(p -> !order.contains(p)).forEach(order::add);
        return order;
    }

    /**
     * Orders products by greedy selection on predicted cosines: each next one is the product that most raises the
     * worst text's cosine when its gain is added to those chosen before (the mean breaks ties, as several products
     * may not touch the worst text).
     *
     * @param base per-text cosines with every product int8 [texts]
     * @param gain per product, what keeping it fp32 adds to each text's cosine [texts]
     */
    static List<String> greedy(double[] base, Map<String, double[]> gain) {
        List<String> pool = new ArrayList<>(gain.keySet());
        List<String> order = new ArrayList<>();
        double[] predicted = base.clone();
        while (!pool.isEmpty()) {
            String best = null;
            double bestMin = Double.NEGATIVE_INFINITY;
            double bestSum = Double.NEGATIVE_INFINITY;
            for (String p : pool) {
                double min = Double.MAX_VALUE;
                double sum = 0;
                for (int t = 0; t < predicted.length; t++) {
                    double v = predicted[t] + gain.get(p)[t];
                    min = Math.min(min, v);
                    sum += v;
                }
                if (min > bestMin + 1e-7 || (Math.abs(min - bestMin) <= 1e-7 && sum > bestSum)) {
                    best = p;
                    bestMin = min;
                    bestSum = sum;
                }
            }
            pool.remove(best);
            order.add(best);
            for (int t = 0; t < predicted.length; t++) {
                predicted[t] += gain.get(best)[t];
            }
        }
        return order;
    }

    /**
     * The int8 graph keeping the fewest first products of {@code order} in fp32 whose worst calibration cosine
     * reaches {@code target}; the one with {@code maxFp32} kept if none does. Searches by bisection (the worst cosine
     * rises with more fp32 products, up to noise), so it builds about log2(maxFp32) graphs.
     */
    Int8Quantizer.Outcome fewest(List<String> order, int maxFp32, double target) {
        int k = 0;
        if (worst(order.subList(0, 0)) < target) {
            int lo = 0; // fails the target
            int hi = Math.min(maxFp32, order.size()); // meets it, or is the cap
            while (hi - lo > 1) {
                int mid = (lo + hi) / 2;
                if (worst(order.subList(0, mid)) >= target) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            k = hi;
        }
        List<String> kept = List.copyOf(order.subList(0, k));
        return new Int8Quantizer.Outcome(graph(kept), kept, cands.size(), CosineStats.of(cosines(kept)));
    }

    private double worst(List<String> keep) {
        return CosineStats.of(cosines(keep)).min();
    }

    /** The int8 graph with {@code keep} in fp32 and every other candidate quantised. */
    OnnxGraphBuilder graph(List<String> keep) {
        Set<String> quantize = new HashSet<>();
        cands.forEach(c -> quantize.add(c.weight()));
        quantize.removeAll(keep);
        return Int8Rewriter.rewrite(fp32, cands, new Int8Rewriter.Plan(form, false, quantize, smoothing));
    }

    /** Per-text cosines to fp32 of the graph keeping {@code keep} in fp32 (memoised). */
    double[] cosines(List<String> keep) {
        String key = String.join(",", keep.stream().sorted().toList());
        return measured.computeIfAbsent(key, k -> Int8Quantizer.cosines(graph(keep), batches, reference));
    }
}
