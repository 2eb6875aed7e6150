package dev.graft.merge;

import dev.graft.io.safetensors.DType;
import dev.graft.io.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** Small HF-shaped model and LoRA adapter directories written without the engine, for merge tests. */
final class TinyCheckpoints {
    static final int LAYERS = 3;
    static final int HIDDEN = 8;
    static final int VOCAB = 11;

    private TinyCheckpoints() {
    }

    static Map<String, long[]> shapes() {
        Map<String, long[]> s = new TreeMap<>();
        s.put("embeddings.word_embeddings.weight", new long[] {VOCAB, HIDDEN});
        for (int l = 0; l < LAYERS; l++) {
            s.put("encoder.layer." + l + ".attention.self.query.weight", new long[] {HIDDEN, HIDDEN});
            s.put("encoder.layer." + l + ".attention.self.query.bias", new long[] {HIDDEN});
            s.put("encoder.layer." + l + ".output.dense.weight", new long[] {HIDDEN, 2 * HIDDEN});
        }
        s.put("pooler.dense.weight", new long[] {HIDDEN, HIDDEN});
        return s;
    }

    /** Random weights from a seed; {@code around}, if given, is perturbed instead (a "fine-tune" of it). */
    static Map<String, float[]> weights(long seed, Map<String, float[]> around) {
        Random r = new Random(seed);
        Map<String, float[]> w = new TreeMap<>();
        shapes().forEach((k, s) -> {
            int n = (int) (s.length == 1 ? s[0] : s[0] * s[1]);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (around == null ? r.nextGaussian() : around.get(k)[i] + 0.1 * r.nextGaussian());
            }
            w.put(k, v);
        });
        return w;
    }

    /** Writes a model directory; {@code shardTensors} > 0 splits it into shards of that many tensors. */
    static Path write(Path dir, Map<String, float[]> weights, int shardTensors, String tokenizerText, int vocab) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"bert\",\"architectures\":[\"BertModel\"],\"vocab_size\":"
                    + vocab + ",\"hidden_size\":" + HIDDEN + ",\"num_hidden_layers\":" + LAYERS + "}");
            Files.writeString(dir.resolve("tokenizer.json"), tokenizerText);
            Files.writeString(dir.resolve("vocab.txt"), "[PAD]\n[UNK]\n");
            Map<String, long[]> shapes = shapes();
            List<String> names = List.copyOf(new TreeMap<>(weights).keySet());
            if (shardTensors <= 0) {
                SafetensorsWriter w = new SafetensorsWriter();
                names.forEach(n -> w.addFloats(n, shapes.get(n), weights.get(n), DType.F32));
                w.write(dir.resolve("model.safetensors"));
                return dir;
            }
            int shards = (names.size() + shardTensors - 1) / shardTensors;
            StringBuilder idx = new StringBuilder("{\"metadata\":{},\"weight_map\":{");
            for (int s = 0; s < shards; s++) {
                String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
                SafetensorsWriter w = new SafetensorsWriter();
                for (String n : names.subList(s * shardTensors, Math.min(names.size(), (s + 1) * shardTensors))) {
                    w.addFloats(n, shapes.get(n), weights.get(n), DType.F32);
                    idx.append(idx.charAt(idx.length() - 1) == '{' ? "" : ",").append('"').append(n).append("\":\"").append(file).append('"');
                }
                w.write(dir.resolve(file));
            }
            Files.writeString(dir.resolve("model.safetensors.index.json"), idx.append("}}").toString());
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A PEFT LoRA adapter on the query weights of every layer, with a classifier head. */
    static Path adapter(Path dir, long seed, int r, double alpha, int classes) {
        Random rnd = new Random(seed);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\":\"LORA\",\"task_type\":\"SEQ_CLS\",\"r\":" + r
                    + ",\"lora_alpha\":" + alpha + ",\"target_modules\":[\"query\"],\"base_model_name_or_path\":\"tiny\","
                    + "\"modules_to_save\":[\"classifier\"]}");
            Files.writeString(dir.resolve("graft_task.json"), "{\"task\":\"classification\",\"labels\":[\"a\",\"b\"],"
                    + "\"pooling\":\"mean\",\"max_length\":16}");
            SafetensorsWriter w = new SafetensorsWriter();
            Map<String, float[]> t = new LinkedHashMap<>();
            for (int l = 0; l < LAYERS; l++) {
                String m = "base_model.model.bert.encoder.layer." + l + ".attention.self.query.";
                w.addFloats(m + "lora_A.weight", new long[] {r, HIDDEN}, gauss(rnd, r * HIDDEN));
                w.addFloats(m + "lora_B.weight", new long[] {HIDDEN, r}, gauss(rnd, r * HIDDEN));
            }
            w.addFloats("base_model.model.classifier.weight", new long[] {classes, HIDDEN}, gauss(rnd, classes * HIDDEN));
            w.addFloats("base_model.model.classifier.bias", new long[] {classes}, gauss(rnd, classes));
            w.write(dir.resolve("adapter_model.safetensors"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float[] gauss(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }
}
