package dev.graft.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.export.CosineStats;
import dev.graft.export.OnnxExporter;
import dev.graft.model.EncoderModel;
import dev.graft.model.bert.OnnxParityTest;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * The measurements of bench/int8.sh, one per JVM, each printing one JSON line:
 * <ul>
 *   <li>{@code throughput --export DIR --texts FILE [--batch 32] [--threads 2] [--max-length 256] [--dump FILE]}:
 *       sentence embeddings of every text through an exported graph, timed after a warm-up;</li>
 *   <li>{@code cosine --a FILE --b FILE}: worst and mean cosine between two dumps, row by row;</li>
 *   <li>{@code accuracy --export DIR --data test.csv}: accuracy of a task export's {@code probabilities} on a
 *       text,label file;</li>
 *   <li>{@code recall --export DIR --texts FILE [--pairs 1000]}: recall@10 of a retrieval set made of the texts
 *       (query = first half of a text's words, document = second half);</li>
 *   <li>{@code eval --model ID --texts FILE [--fortunes 500] [--out DIR]}: exports fp32 and int8 (default settings)
 *       and prints the int8 cosine to fp32 on the parity inputs plus the first {@code --fortunes} texts, with the
 *       products kept in fp32 — the check issue 14's 0.995 goal is judged on.</li>
 * </ul>
 */
public final class Int8Bench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Int8Bench() {
    }

    public static void main(String[] args) throws Exception {
        switch (args.length == 0 ? "" : args[0]) {
            case "throughput" -> throughput(args);
            case "cosine" -> {
                CosineStats c = cosine(Dumps.read(Path.of(arg(args, "--a", null))), Dumps.read(Path.of(arg(args, "--b", null))));
                System.out.printf(Locale.ROOT, "{\"cosine_min\": %.6f, \"cosine_mean\": %.6f, \"texts\": %d}%n", c.min(), c.mean(),
                        c.count());
            }
            case "accuracy" -> accuracy(args);
            case "recall" -> recall(args);
            case "eval" -> eval(args);
            default -> throw new IllegalArgumentException("usage: Int8Bench throughput|cosine|accuracy|recall|eval ...");
        }
    }

    private static void throughput(String[] args) throws Exception {
        Path export = Path.of(arg(args, "--export", null));
        int batch = Integer.parseInt(arg(args, "--batch", "32"));
        int threads = Integer.parseInt(arg(args, "--threads", "2"));
        int maxLength = Integer.parseInt(arg(args, "--max-length", "256"));
        List<String> texts = Files.readAllLines(Path.of(arg(args, "--texts", "bench/data/embed/texts.txt")));
        try (ExportedGraph g = new ExportedGraph(export, threads, maxLength)) {
            g.run(texts.subList(0, Math.min(64, texts.size())), batch, OnnxExporter.SENTENCE_EMBEDDING);
            long t0 = System.nanoTime();
            float[][] out = g.run(texts, batch, OnnxExporter.SENTENCE_EMBEDDING);
            double seconds = (System.nanoTime() - t0) / 1e9;
            String dump = arg(args, "--dump", null);
            if (dump != null) {
                Dumps.write(Path.of(dump), out);
            }
            System.out.printf(Locale.ROOT, "{\"texts\": %d, \"batch\": %d, \"threads\": %d, \"max_length\": %d, \"seconds\": %.4f,"
                    + " \"texts_per_s\": %.2f}%n", texts.size(), batch, threads, maxLength, seconds, texts.size() / seconds);
        }
    }

    private static void accuracy(String[] args) throws Exception {
        Path export = Path.of(arg(args, "--export", null));
        List<String> labels = new ArrayList<>();
        JSON.readTree(export.resolve(OnnxExporter.DESCRIPTION_FILE).toFile()).get("labels").forEach(l -> labels.add(l.asText()));
        List<String> texts = new ArrayList<>();
        List<String> gold = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(Path.of(arg(args, "--data", null)))) {
            for (CSVRecord rec : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
                texts.add(rec.get("text"));
                gold.add(rec.get("label"));
            }
        }
        int maxLength = Integer.parseInt(arg(args, "--max-length", "128"));
        try (ExportedGraph g = new ExportedGraph(export, Integer.parseInt(arg(args, "--threads", "2")), maxLength)) {
            float[][] p = g.run(texts, 32, OnnxExporter.PROBABILITIES);
            int correct = 0;
            for (int i = 0; i < p.length; i++) {
                correct += labels.get(argmax(p[i])).equals(gold.get(i)) ? 1 : 0;
            }
            System.out.printf(Locale.ROOT, "{\"accuracy\": %.6f, \"examples\": %d}%n", (double) correct / p.length, p.length);
        }
    }

    private static void recall(String[] args) throws Exception {
        List<String> texts = Files.readAllLines(Path.of(arg(args, "--texts", "bench/data/embed/texts.txt")));
        int pairs = Integer.parseInt(arg(args, "--pairs", "1000"));
        List<String> queries = new ArrayList<>();
        List<String> docs = new ArrayList<>();
        for (String t : texts) {
            String[] w = t.split(" ");
            if (w.length >= 8 && queries.size() < pairs) { // shorter quotes have halves too small to retrieve by
                queries.add(String.join(" ", List.of(w).subList(0, w.length / 2)));
                docs.add(String.join(" ", List.of(w).subList(w.length / 2, w.length)));
            }
        }
        try (ExportedGraph g = new ExportedGraph(Path.of(arg(args, "--export", null)), Integer.parseInt(arg(args, "--threads", "2")),
                256)) {
            float[][] q = unit(g.run(queries, 32, OnnxExporter.SENTENCE_EMBEDDING));
            float[][] d = unit(g.run(docs, 32, OnnxExporter.SENTENCE_EMBEDDING));
            int hits = 0;
            for (int i = 0; i < q.length; i++) {
                double own = dot(q[i], d[i]);
                int better = 0; // documents scoring above the query's own half
                for (int j = 0; j < d.length && better < 10; j++) {
                    better += j != i && dot(q[i], d[j]) > own ? 1 : 0;
                }
                hits += better < 10 ? 1 : 0;
            }
            System.out.printf(Locale.ROOT, "{\"recall_at_10\": %.6f, \"pairs\": %d}%n", (double) hits / q.length, q.length);
        }
    }

    private static void eval(String[] args) throws Exception {
        String id = arg(args, "--model", null);
        List<String> texts = new ArrayList<>(OnnxParityTest.inputs(id.endsWith("zh")));
        List<String> fortunes = Files.readAllLines(Path.of(arg(args, "--texts", "bench/data/embed/texts.txt")));
        texts.addAll(fortunes.subList(0, Math.min(Integer.parseInt(arg(args, "--fortunes", "500")), fortunes.size())));
        Path out = Path.of(arg(args, "--out", "bench/out/int8/eval")).resolve(id);
        Map<String, float[][]> emb = new HashMap<>();
        long t0 = System.nanoTime();
        try (EncoderModel base = EncoderModel.load(id)) {
            OnnxExporter.of(base).write(out.resolve("fp32"));
            OnnxExporter.of(base).int8(true).write(out.resolve("int8"));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        for (String kind : List.of("fp32", "int8")) {
            try (ExportedGraph g = new ExportedGraph(out.resolve(kind), 1, 256)) {
                emb.put(kind, g.run(texts, 16, OnnxExporter.SENTENCE_EMBEDDING));
            }
        }
        CosineStats c = cosine(emb.get("fp32"), emb.get("int8"));
        JsonNode q = JSON.readTree(out.resolve("int8").resolve(OnnxExporter.DESCRIPTION_FILE).toFile()).get("quantization");
        System.out.printf(Locale.ROOT, "{\"model\": \"%s\", \"texts\": %d, \"cosine_min\": %.6f, \"cosine_mean\": %.6f,"
                        + " \"export_seconds\": %.1f, \"quantization\": %s}%n", id, c.count(), c.min(), c.mean(), seconds,
                JSON.writeValueAsString(q));
    }

    /** Row-by-row cosine of two equally shaped sets of vectors. */
    static CosineStats cosine(float[][] a, float[][] b) {
        double min = 1;
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double c = dot(a[i], b[i]) / Math.sqrt(dot(a[i], a[i]) * dot(b[i], b[i]));
            min = Math.min(min, c);
            sum += c;
        }
        return new CosineStats(min, sum / a.length, a.length);
    }

    private static float[][] unit(float[][] v) {
        for (float[] x : v) {
            double n = Math.sqrt(dot(x, x));
            for (int i = 0; i < x.length; i++) {
                x[i] /= (float) n;
            }
        }
        return v;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    private static int argmax(float[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            best = p[i] > p[best] ? i : best;
        }
        return best;
    }

    private static String arg(String[] args, String name, String def) {
        for (int i = 1; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        if (def == null) {
            throw new IllegalArgumentException(args[0] + ": " + name + " is required");
        }
        return def;
    }
}
