package dev.graft.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.graft.io.safetensors.DType;
import dev.graft.io.safetensors.SafetensorsStore;
import dev.graft.io.safetensors.SafetensorsWriter;
import dev.graft.runtime.Progress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chunked (bounded-memory) path gives bit-identical results to the whole-tensor path. */
class ChunkedMergeTest {
    @TempDir
    Path tmp;

    @Test
    void radixSelectFindsExactRanks() {
        Random r = new Random(1);
        float[] x = new float[5000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (r.nextInt(50) - 25) * 0.125f; // many ties and both signs
        }
        long[] ranks = {0, 1, 17, 2500, 4999, 5000};
        RadixSelect s = new RadixSelect(ranks);
        for (int from = 0; from < x.length; from += 777) { // uneven chunks
            float[] c = Arrays.copyOfRange(x, from, Math.min(x.length, from + 777));
            s.countHigh(RadixSelect.highHistogram(c, c.length));
        }
        s.finishHigh();
        for (int from = 0; from < x.length; from += 777) {
            float[] c = Arrays.copyOfRange(x, from, Math.min(x.length, from + 777));
            for (int k = 0; k < ranks.length; k++) {
                if (s.bucket(k) >= 0) {
                    s.countLow(k, RadixSelect.lowHistogram(c, c.length, s.bucket(k)));
                }
            }
        }
        float[] got = s.result();
        for (int k = 0; k < ranks.length; k++) {
            float want = ranks[k] == 0 ? Float.POSITIVE_INFINITY : TaskVectors.kthLargestMagnitude(x, (int) ranks[k]);
            assertEquals(want, got[k], 0f, "rank " + ranks[k]);
        }
    }

    private void model(Path dir, long seed, float[] base) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"bert\",\"num_hidden_layers\":2}");
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        Random r = new Random(seed);
        float[] big = new float[base.length];
        for (int i = 0; i < big.length; i++) {
            big[i] = base[i] + (seed == 0 ? 0 : (float) (r.nextGaussian() * 0.05));
        }
        float[] small = new float[100];
        for (int i = 0; i < small.length; i++) {
            small[i] = (float) r.nextGaussian();
        }
        new SafetensorsWriter().addFloats("encoder.layer.1.big.weight", new long[] {big.length / 1000, 1000}, big, DType.BF16)
                .addFloats("encoder.layer.0.small.weight", new long[] {10, 10}, small, DType.F32)
                .write(dir.resolve("model.safetensors"));
    }

    @Test
    void chunkedEqualsWholeTensorForEveryStreamedMethod() throws Exception {
        Random r = new Random(2);
        float[] base = new float[2_300_000]; // three chunks, the last one partial
        for (int i = 0; i < base.length; i++) {
            base[i] = (float) r.nextGaussian();
        }
        model(tmp.resolve("base"), 0, base);
        model(tmp.resolve("a"), 1, base);
        model(tmp.resolve("b"), 2, base);
        model(tmp.resolve("c"), 3, base);
        String[] methods = {"ties", "breadcrumbs_ties", "dare_ties", "magnitude_prune", "task_arithmetic", "linear", "layer_swap"};
        for (String m : methods) {
            Path cfg = tmp.resolve(m + ".yml");
            Files.writeString(cfg, "models:\n  - model: a\n    parameters: {weight: 1.0, density: 0.3, layer_start: 1, layer_end: 2}\n"
                    + "  - model: b\n    parameters: {weight: 0.6, density: 0.5}\n  - model: c\n    parameters: {weight: 0.9, density: 0.7}\n"
                    + "base_model: base\nmerge_method: " + m + "\nparameters: {lambda: 0.8, gamma: 0.05}\nseed: 5\n");
            // parameters some methods do not take are removed from the YAML by filtering keys per method
            String yaml = Files.readString(cfg);
            MergeMethod method = MergeMethods.byName(m);
            for (String key : new String[] {"density", "layer_start", "layer_end", "weight"}) {
                if (!method.modelParameters().contains(key)) {
                    yaml = yaml.replaceAll(",? ?" + key + ": [0-9.]+,? ?", " ").replace("{ ", "{").replace(" }", "}").replace("{}", "{}");
                }
            }
            if (!method.globalParameters().contains("lambda")) {
                yaml = yaml.replace("parameters: {lambda: 0.8, gamma: 0.05}", "parameters: {}");
            } else if (!method.modelParameters().contains("gamma")) {
                yaml = yaml.replace(", gamma: 0.05", "");
            }
            Files.writeString(cfg, yaml);
            Merger.run(cfg, tmp.resolve(m + "-chunked"), new Merger.Options(1 << 30, 3, false, Progress.NONE, true));
            Merger.run(cfg, tmp.resolve(m + "-whole"), new Merger.Options(1 << 30, 2, false, Progress.NONE, false));
            long limit = ChunkedMerge.fixupLimit;
            ChunkedMerge.fixupLimit = 0; // the three-pass radix select instead of the two-pass fix-up
            try {
                Merger.run(cfg, tmp.resolve(m + "-3pass"), new Merger.Options(1 << 30, 2, false, Progress.NONE, true));
            } finally {
                ChunkedMerge.fixupLimit = limit;
            }
            try (SafetensorsStore x = SafetensorsStore.open(tmp.resolve(m + "-chunked"));
                 SafetensorsStore z = SafetensorsStore.open(tmp.resolve(m + "-3pass"));
                 SafetensorsStore y = SafetensorsStore.open(tmp.resolve(m + "-whole"))) {
                for (String name : y.names()) {
                    assertArrayEquals(y.readFloats(name), x.readFloats(name), 0f, m + " " + name);
                    assertArrayEquals(y.readFloats(name), z.readFloats(name), 0f, m + " (three passes) " + name);
                }
            }
        }
    }
}
