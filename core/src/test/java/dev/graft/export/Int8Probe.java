package dev.graft.export;

import dev.graft.io.onnx.Int8MatMul;
import dev.graft.io.onnx.Int8Rewriter;
import dev.graft.io.onnx.OnnxGraphBuilder;
import dev.graft.io.onnx.OnnxModelReader;
import dev.graft.io.onnx.OnnxModelWriter;
import dev.graft.model.EncoderModel;
import dev.graft.text.TokenizedText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Exploration: speed and cosine of int8 forms against fp32 (not a test; run its main). */
public final class Int8Probe {
    public static void main(String[] args) throws Exception {
        String id = args[0];
        int n = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        List<String> texts = Fortunes.sample(n);
        try (EncoderModel base = EncoderModel.load(id)) {
            OnnxGraphBuilder fp32 = OnnxExporter.of(base).build().graph();
            var cands = Int8Rewriter.candidates(fp32, w -> true);
            Set<String> all = cands.stream().map(Int8Rewriter.Candidate::weight).collect(Collectors.toSet());
            Set<String> noFfnOut = all.stream().filter(w -> !(w.endsWith(".output.dense.weight") && !w.contains("attention")))
                    .collect(Collectors.toSet());
            Map<String, OnnxGraphBuilder> variants = new LinkedHashMap<>();
            variants.put("fp32", fp32);
            for (String v : args[3].split(",")) {
                String[] p = v.split(":");
                Int8MatMul.Form form = Int8MatMul.Form.valueOf(p[0]);
                boolean rr = p.length > 1 && p[1].contains("rr");
                Set<String> q = p.length > 1 && p[1].contains("noffn") ? noFfnOut : all;
                variants.put(v, Int8Rewriter.rewrite(fp32, cands, new Int8Rewriter.Plan(form, rr, q, Map.of())));
            }
            Path dir = Path.of("/tmp/int8probe", id);
            Files.createDirectories(dir);
            for (var e : variants.entrySet()) {
                Path f = dir.resolve(e.getKey().replace(':', '_') + ".onnx");
                Files.deleteIfExists(f);
                OnnxModelWriter.write(f, e.getValue(), "graft", Map.of());
                try (var opts = new ai.onnxruntime.OrtSession.SessionOptions()) {
                    opts.setIntraOpNumThreads(1);
                    opts.setOptimizationLevel(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.ALL_OPT);
                    Path o = dir.resolve(e.getKey().replace(':', '_') + ".opt.onnx");
                    opts.setOptimizedModelFilePath(o.toString());
                    ai.onnxruntime.OrtEnvironment.getEnvironment().createSession(f.toString(), opts).close();
                    Map<String, Long> ops = new TreeMap<>(OnnxModelReader.read(o).nodes().stream()
                            .collect(Collectors.groupingBy(x -> x.opType(), Collectors.counting())));
                    System.out.println(e.getKey() + " optimised ops: " + ops);
                } catch (Exception ex) {
                    System.out.println(e.getKey() + " optimised graph unreadable: " + ex);
                }
            }
            List<TokenizedText> tokens = base.tokenizer().encodeAll(texts, 256);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < tokens.size(); i++) order.add(i);
            order.sort(Comparator.comparingInt(i -> tokens.get(i).length()));
            List<List<TokenizedText>> batches = new ArrayList<>();
            for (int s = 0; s < order.size(); s += 32) {
                List<TokenizedText> b = new ArrayList<>();
                for (int k = s; k < Math.min(order.size(), s + 32); k++) b.add(tokens.get(order.get(k)));
                batches.add(b);
            }
            Map<String, OrtGraphRunner> runners = new LinkedHashMap<>();
            for (var e : variants.entrySet()) runners.put(e.getKey(), new OrtGraphRunner(e.getValue(), 1));
            Map<String, List<Double>> times = new LinkedHashMap<>();
            Map<String, List<float[]>> emb = new LinkedHashMap<>();
            for (int r = 0; r < rounds; r++) {
                for (var e : runners.entrySet()) {
                    List<float[]> out = new ArrayList<>();
                    long t0 = System.nanoTime();
                    for (var b : batches) out.add(e.getValue().run(b, Set.of(OnnxExporter.SENTENCE_EMBEDDING)).get(OnnxExporter.SENTENCE_EMBEDDING));
                    times.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e9);
                    emb.put(e.getKey(), out);
                }
            }
            int h = base.info().hiddenSize();
            List<Double> ref = times.get("fp32");
            for (var e : times.entrySet()) {
                List<Double> ratios = new ArrayList<>();
                for (int r = 0; r < rounds; r++) ratios.add(ref.get(r) / e.getValue().get(r));
                ratios.sort(null);
                double min = 1, sum = 0; int c = 0;
                List<float[]> a = emb.get("fp32"), b = emb.get(e.getKey());
                for (int i = 0; i < a.size(); i++) {
                    for (int k = 0; k < a.get(i).length / h; k++) {
                        double cs = cos(a.get(i), b.get(i), k * h, h);
                        min = Math.min(min, cs); sum += cs; c++;
                    }
                }
                System.out.printf("%s %-28s texts/s %.1f  speed-up vs fp32 median %.2fx (range %.2f-%.2f)  cosine min %.5f mean %.5f%n",
                        id, e.getKey(), n / median(e.getValue()), ratios.get(rounds / 2), ratios.get(0), ratios.get(rounds - 1), min, sum / c);
            }
            runners.values().forEach(OrtGraphRunner::close);
        }
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        return s.get(s.size() / 2);
    }

    static double cos(float[] a, float[] b, int off, int h) {
        double d = 0, na = 0, nb = 0;
        for (int i = off; i < off + h; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return d / Math.sqrt(na * nb);
    }
}
