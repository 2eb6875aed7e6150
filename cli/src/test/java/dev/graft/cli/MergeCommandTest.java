package dev.graft.cli;

import static dev.graft.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.io.safetensors.SafetensorsStore;
import dev.graft.io.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** graft merge as users meet it: a YAML, an output folder, one-line errors. */
class MergeCommandTest {
    @TempDir
    Path dir;

    private void model(String name, float shift) throws Exception {
        Path m = dir.resolve(name);
        Files.createDirectories(m);
        Files.writeString(m.resolve("config.json"), "{\"model_type\":\"bert\",\"num_hidden_layers\":2}");
        Files.writeString(m.resolve("tokenizer.json"), "{}");
        SafetensorsWriter w = new SafetensorsWriter();
        for (int l = 0; l < 2; l++) {
            float[] v = new float[64];
            for (int i = 0; i < v.length; i++) {
                v[i] = i * 0.01f + shift * (l + 1);
            }
            w.addFloats("encoder.layer." + l + ".dense.weight", new long[] {8, 8}, v);
        }
        w.write(m.resolve("model.safetensors"));
    }

    @Test
    void mergesFromYamlAndReportsErrorsOnOneLine() throws Exception {
        model("base", 0);
        model("a", 1);
        model("b", -3);
        Path cfg = dir.resolve("merge.yml");
        Files.writeString(cfg, "models: [a, b]\nbase_model: base\nmerge_method: task_arithmetic\nparameters: {lambda: 0.5}\n");
        CliTest.Run r = run("merge", "--config", cfg.toString(), "--output", dir.resolve("out").toString(), "--out-shard-size", "300B");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("merged 2 tensors") && r.out().contains("2 shards"), r.out());
        try (SafetensorsStore s = SafetensorsStore.open(dir.resolve("out"))) {
            float[] got = s.readFloats("encoder.layer.1.dense.weight");
            float[] want = new float[64];
            for (int i = 0; i < 64; i++) {
                want[i] = i * 0.01f + 0.5f * (2 * 1 + 2 * -3); // base + λ(τa + τb), layer 1 shifts by 2·shift
            }
            assertArrayEquals(want, got, 1e-5f);
        }
        Files.writeString(cfg, "models: [a]\nmerge_method: tiez\nparameters: {lambda: x}\n");
        CliTest.Run bad = run("merge", "--config", cfg.toString(), "--output", dir.resolve("out2").toString());
        assertEquals(1, bad.code());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("merge_method: unknown 'tiez'") && bad.err().contains("parameters.lambda"), bad.err());
        assertEquals(1, run("merge", "--config", cfg.toString(), "--output", "x", "--out-shard-size", "lots").code());
        CliTest.Run help = run("merge", "--help");
        assertTrue(help.out().contains("Examples:") && help.out().contains("--out-shard-size"), help.out());
    }
}
