package dev.graft.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.model.engine.InferenceEngines;
import dev.graft.model.engine.OrtEngine;
import dev.graft.runtime.Engines;
import dev.graft.text.TokenBudgetBatcher;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Embeds the same texts with one system and prints one JSON line with its throughput:
 * {@code graft} (Embedder on PyTorch: length-sorted batches of at most {@code --batch} texts and {@code --max-batch-tokens}
 * padded tokens), {@code graft-ort} (the same Embedder on Graft's ONNX Runtime engine, the bundled graph), {@code ort}
 * (ONNX Runtime Java on the same ONNX file, with Graft's tokenizer, length-sorted batches of exactly {@code --batch}
 * texts, mean pooling and normalisation), or {@code langchain4j} ({@code embedAll} as its users call it). Each system
 * runs in its own JVM so that peak RSS is its own.
 *
 * <p>Usage: {@code EmbedBench --system graft|graft-ort|ort|langchain4j --texts FILE [--batch 32] [--threads 2]
 * [--max-length 256] [--max-batch-tokens N|none] [--dump FILE] [--ort-arena true] [--ort-memory-pattern true]}; the
 * texts file holds one text per line. {@code --max-batch-tokens} (graft, graft-ort) defaults to Graft's default budget;
 * {@code none} batches by count alone, as Graft did before budgets.
 */
public final class EmbedBench {
    private EmbedBench() {
    }

    public static void main(String[] args) throws Exception {
        String system = arg(args, "--system", "graft");
        Path textsFile = Path.of(arg(args, "--texts", "bench/data/embed/texts.txt"));
        int batch = Integer.parseInt(arg(args, "--batch", "32"));
        int threads = Integer.parseInt(arg(args, "--threads", "2"));
        int maxLength = Integer.parseInt(arg(args, "--max-length", "256"));
        String dump = arg(args, "--dump", null);
        String budgetArg = arg(args, "--max-batch-tokens", Integer.toString(TokenBudgetBatcher.DEFAULT_MAX_BATCH_TOKENS));
        int budget = budgetArg.equals("none") ? Integer.MAX_VALUE : Integer.parseInt(budgetArg);
        List<String> texts = Files.readAllLines(textsFile);
        List<String> warm = texts.subList(0, Math.min(64, texts.size()));
        float[][] out;
        long t0;
        long t1;
        switch (system) {
            case "graft" -> {
                Engines.configure(threads);
                try (EncoderModel m = EncoderModel.load("all-minilm-l6-v2")) {
                    Embedder e = new Embedder(m, EmbedOptions.defaults(m).withBatchSize(batch).withMaxLength(maxLength)
                            .withMaxBatchTokens(budget));
                    e.embed(warm);
                    t0 = System.nanoTime();
                    out = e.embed(texts);
                    t1 = System.nanoTime();
                }
            }
            case "graft-ort" -> {
                Engines.configure(threads);
                OrtEngine.Settings settings = new OrtEngine.Settings(threads,
                        Boolean.parseBoolean(arg(args, "--ort-memory-pattern", "true")), Boolean.parseBoolean(arg(args, "--ort-arena", "true")));
                try (EncoderModel m = EncoderModel.load("all-minilm-l6-v2");
                     OrtEngine engine = OrtEngine.open(InferenceEngines.graphOf(m).orElseThrow(), settings, false)) {
                    Embedder e = new Embedder(m, EmbedOptions.defaults(m).withBatchSize(batch).withMaxLength(maxLength)
                            .withMaxBatchTokens(budget), engine);
                    e.embed(warm);
                    t0 = System.nanoTime();
                    out = e.embed(texts);
                    t1 = System.nanoTime();
                }
            }
            case "ort" -> {
                try (Ort ort = new Ort(threads, maxLength)) {
                    ort.embed(warm, batch);
                    t0 = System.nanoTime();
                    out = ort.embed(texts, batch);
                    t1 = System.nanoTime();
                }
            }
            case "langchain4j" -> {
                AllMiniLmL6V2EmbeddingModel model = new AllMiniLmL6V2EmbeddingModel();
                model.embedAll(warm.stream().map(TextSegment::from).toList());
                List<TextSegment> segments = texts.stream().map(TextSegment::from).toList();
                t0 = System.nanoTime();
                var result = model.embedAll(segments).content();
                t1 = System.nanoTime();
                out = result.stream().map(emb -> emb.vector()).toArray(float[][]::new);
            }
            default -> throw new IllegalArgumentException("unknown --system " + system);
        }
        double seconds = (t1 - t0) / 1e9;
        if (dump != null) {
            StringBuilder sb = new StringBuilder();
            for (float[] v : out) {
                for (int i = 0; i < v.length; i++) {
                    sb.append(i == 0 ? "" : " ").append(v[i]);
                }
                sb.append('\n');
            }
            Files.writeString(Path.of(dump), sb);
        }
        String budgetJson = !system.startsWith("graft") || budget == Integer.MAX_VALUE ? "null" : Integer.toString(budget);
        System.out.printf(Locale.ROOT, "{\"system\": \"%s\", \"texts\": %d, \"batch\": %d, \"max_batch_tokens\": %s,"
                + " \"threads\": %d, \"max_length\": %d, \"seconds\": %.4f, \"texts_per_s\": %.2f, \"dim\": %d}%n", system,
                texts.size(), batch, budgetJson, threads, maxLength, seconds, texts.size() / seconds, out[0].length);
    }

    private static String arg(String[] args, String name, String def) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return def;
    }

    /** ONNX Runtime with the same batches Graft forms: sort by length, pad per batch, mean-pool, normalise. */
    static final class Ort implements AutoCloseable {
        private final OrtEnvironment env = OrtEnvironment.getEnvironment();
        private final OrtSession session;
        private final HuggingFaceTokenizer tokenizer;

        Ort(int threads, int maxLength) throws Exception {
            byte[] onnx;
            try (InputStream in = EmbedBench.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
                onnx = in.readAllBytes();
            }
            Path tok = Files.createTempFile("tokenizer", ".json");
            try (InputStream in = EmbedBench.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
                Files.write(tok, in.readAllBytes());
            }
            tokenizer = HuggingFaceTokenizer.builder().optTokenizerPath(tok).optTruncation(true).optPadding(false)
                    .optMaxLength(maxLength).build();
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(onnx, o);
        }

        float[][] embed(List<String> texts, int batch) throws Exception {
            Encoding[] enc = tokenizer.batchEncode(texts);
            Integer[] order = IntStream.range(0, enc.length).boxed().toArray(Integer[]::new);
            java.util.Arrays.sort(order, Comparator.comparingInt((Integer i) -> -enc[i].getIds().length));
            float[][] out = new float[texts.size()][];
            for (int s = 0; s < order.length; s += batch) {
                int n = Math.min(batch, order.length - s);
                int t = enc[order[s]].getIds().length;
                long[][] ids = new long[n][t];
                long[][] mask = new long[n][t];
                long[][] types = new long[n][t];
                for (int k = 0; k < n; k++) {
                    long[] x = enc[order[s + k]].getIds();
                    System.arraycopy(x, 0, ids[k], 0, x.length);
                    for (int j = 0; j < x.length; j++) {
                        mask[k][j] = 1;
                    }
                }
                try (OnnxTensor a = OnnxTensor.createTensor(env, ids); OnnxTensor m = OnnxTensor.createTensor(env, mask);
                     OnnxTensor ty = OnnxTensor.createTensor(env, types);
                     OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", ty))) {
                    float[][][] h = (float[][][]) r.get(0).getValue();
                    for (int k = 0; k < n; k++) {
                        int len = enc[order[s + k]].getIds().length;
                        float[] v = new float[h[k][0].length];
                        for (int j = 0; j < len; j++) {
                            for (int d = 0; d < v.length; d++) {
                                v[d] += h[k][j][d];
                            }
                        }
                        double norm = 0;
                        for (float x : v) {
                            norm += x * x;
                        }
                        norm = Math.sqrt(norm);
                        for (int d = 0; d < v.length; d++) {
                            v[d] /= norm;
                        }
                        out[order[s + k]] = v;
                    }
                }
            }
            return out;
        }

        @Override
        public void close() throws Exception {
            session.close();
            tokenizer.close();
        }
    }
}
