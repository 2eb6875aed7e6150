package dev.graft.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import dev.graft.io.safetensors.DType;
import dev.graft.io.safetensors.SafetensorsStore;
import dev.graft.runtime.Progress;
import dev.graft.tune.TaskModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingMergeTest {
    @TempDir
    Path tmp;

    private static final String TOK = "{\"model\":{\"vocab\":{\"a\":0}}}";

    Map<String, float[]> base = TinyCheckpoints.weights(1, null);
    Map<String, float[]> a = TinyCheckpoints.weights(2, base);
    Map<String, float[]> b = TinyCheckpoints.weights(3, base);
    Map<String, float[]> c = TinyCheckpoints.weights(4, base);

    Path yaml(String text) throws Exception {
        Path f = tmp.resolve("merge-" + System.nanoTime() + ".yml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void shardedStreamingMergeEqualsInMemoryMerge() throws Exception {
        TinyCheckpoints.write(tmp.resolve("base"), base, 3, TOK, 11);
        TinyCheckpoints.write(tmp.resolve("a"), a, 4, TOK, 11);
        TinyCheckpoints.write(tmp.resolve("b"), b, 0, TOK, 11);
        TinyCheckpoints.write(tmp.resolve("c"), c, 2, TOK, 11);
        Path cfg = yaml("""
                models:
                  - model: a
                    parameters: {weight: 1.0, density: [0.3, 0.9]}
                  - model: b
                    parameters: {weight: 0.5, density: 0.5}
                  - model: c
                    parameters: {weight: [{filter: query, value: 2.0}, {value: 1.0}], density: 0.7}
                base_model: base
                merge_method: ties
                parameters: {lambda: 0.9}
                """);
        // shards of ~600 bytes force several output files
        Merger.Result r = Merger.run(cfg, tmp.resolve("out"), new Merger.Options(600, 3, true, Progress.NONE));
        assertTrue(r.shards() > 1);
        Path out = tmp.resolve("out");
        assertTrue(Files.isRegularFile(out.resolve(SafetensorsStore.INDEX)));
        assertTrue(Files.isRegularFile(out.resolve("config.json")) && Files.isRegularFile(out.resolve("tokenizer.json"))
                && Files.isRegularFile(out.resolve("vocab.txt")));
        assertTrue(Files.isRegularFile(out.resolve("graft_provenance.json")));
        assertTrue(Files.readString(out.resolve(Merger.CONFIG_FILE)).contains("merge_method: \"ties\""));
        try (Stream<Path> s = Files.list(tmp)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".out.tmp")), "temporary folder removed");
        }
        MergeMethod ties = MergeMethods.byName("ties");
        MergeConfig config = MergeConfig.load(cfg);
        try (SafetensorsStore merged = SafetensorsStore.open(out)) {
            assertEquals(base.keySet(), merged.names());
            for (String name : base.keySet()) {
                int layer = Merger.layerOf(name);
                List<Map<String, Double>> mp = new ArrayList<>();
                for (MergeConfig.ModelEntry e : config.models()) {
                    mp.add(MergeConfig.resolve(e.parameters(), name, layer, TinyCheckpoints.LAYERS));
                }
                float[] want = ties.merge(new MergeInput(name, layer, base.get(name), List.of(a.get(name), b.get(name), c.get(name)),
                        mp, Map.of("lambda", 0.9), 0, null));
                assertArrayEquals(want, merged.readFloats(name), 0f, name);
            }
        }
        // refuses to overwrite a non-empty output
        assertThrows(GraftException.class, () -> Merger.run(cfg, tmp.resolve("out"), Merger.Options.defaults()));
    }

    @Test
    void dtypeAndLayerGradientAndSlerp() throws Exception {
        TinyCheckpoints.write(tmp.resolve("a"), a, 0, TOK, 11);
        TinyCheckpoints.write(tmp.resolve("b"), b, 0, TOK, 11);
        Path cfg = yaml("models: [a, b]\nmerge_method: slerp\nparameters: {t: [0, 1]}\ndtype: bfloat16\n");
        Merger.run(cfg, tmp.resolve("out"), new Merger.Options(1 << 20, 1, false, Progress.NONE));
        try (SafetensorsStore merged = SafetensorsStore.open(tmp.resolve("out"))) {
            assertEquals(DType.BF16, merged.info("pooler.dense.weight").dtype());
            // t runs 0 -> 1 across layers: layer 0 is model a, the last layer is model b (up to bf16 rounding)
            String first = "encoder.layer.0.output.dense.weight";
            String last = "encoder.layer.2.output.dense.weight";
            float[] got0 = merged.readFloats(first);
            float[] got2 = merged.readFloats(last);
            for (int i = 0; i < got0.length; i++) {
                assertEquals(a.get(first)[i], got0[i], Math.abs(a.get(first)[i]) * 0.01 + 1e-6);
                assertEquals(b.get(last)[i], got2[i], Math.abs(b.get(last)[i]) * 0.01 + 1e-6);
            }
        }
    }

    @Test
    void refusesShapeAndTokenizerMismatches() throws Exception {
        TinyCheckpoints.write(tmp.resolve("a"), a, 0, TOK, 11);
        TinyCheckpoints.write(tmp.resolve("b"), b, 0, "{\"model\":{\"vocab\":{\"b\":0}}}", 12);
        Map<String, float[]> bad = new HashMap<>(c);
        bad.remove("pooler.dense.weight");
        TinyCheckpoints.write(tmp.resolve("c"), bad, 0, TOK, 11);
        GraftException e = assertThrows(GraftException.class, () -> Merger.run(yaml("models: [a, b, c]\nmerge_method: linear\n"),
                tmp.resolve("out"), Merger.Options.defaults()));
        String m = e.getMessage();
        assertTrue(m.contains("config.json vocab_size 12 != 11"), m);
        assertTrue(m.contains("tokenizer.json differs (SHA-256"), m);
        assertTrue(m.contains("1 tensor(s) missing, e.g. pooler.dense.weight"), m);
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void foldsALoraIntoItsModelAndKeepsHeads() throws Exception {
        TinyCheckpoints.write(tmp.resolve("base"), base, 0, TOK, 11);
        Path lora = TinyCheckpoints.adapter(tmp.resolve("lora"), 5, 2, 4, 2);
        Path cfg = yaml("models:\n  - model: base+lora\nmerge_method: linear\n");
        Merger.run(cfg, tmp.resolve("out"), Merger.Options.defaults());
        try (SafetensorsStore merged = SafetensorsStore.open(tmp.resolve("out")); LoraAdapter ad = LoraAdapter.open(lora)) {
            String module = "bert.encoder.layer.1.attention.self.query";
            float[] delta = ad.delta(module);
            float[] bt = ad.b(module);
            float[] at = ad.a(module);
            float[] got = merged.readFloats("encoder.layer.1.attention.self.query.weight");
            float[] w = base.get("encoder.layer.1.attention.self.query.weight");
            int h = TinyCheckpoints.HIDDEN;
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < h; j++) {
                    double d = 0;
                    for (int k = 0; k < 2; k++) {
                        d += bt[i * 2 + k] * at[k * h + j];
                    }
                    assertEquals(w[i * h + j] + 2.0 * d, got[i * h + j], 1e-4); // scale alpha/r = 4/2
                    assertEquals(2.0 * d, delta[i * h + j], 1e-4);
                }
            }
            assertArrayEquals(base.get("pooler.dense.weight"), merged.readFloats("pooler.dense.weight"), 0f);
        }
        Path head = tmp.resolve("out/heads/0-lora");
        // a classifier head with its task file becomes a head-only adapter on the merged backbone
        assertTrue(Files.isRegularFile(head.resolve("adapter_model.safetensors")) && Files.isRegularFile(head.resolve("graft_task.json"))
                && Files.isRegularFile(head.resolve("adapter_config.json")), "head adapter files");
        assertEquals("../..", TaskModelFiles.readTask(head) == null ? null
                : new com.fasterxml.jackson.databind.ObjectMapper().readTree(head.resolve("graft_task.json").toFile()).get("base_model").asText());
    }
}
