package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.io.safetensors.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One merged backbone, a head per task: full fine-tuning exported with its head, merged, and each task served by
 * {@code --adapter merged/heads/<i>-<name>}; linear probing ({@code --method head}).
 */
class MergedHeadsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    @Test
    void mergedBackboneServesEachTaskThroughItsOwnHead() throws Exception {
        Path base = baseAndData();
        Path train = dir.resolve("train.csv");
        Path full = dir.resolve("full-sentiment");
        CliTest.Run tune = CliTest.run("tune", "--model", base.toString(), "--train", train.toString(), "--method", "full",
                "--epochs", "2", "--max-length", "16", "--output", full.toString());
        assertEquals(0, tune.code(), tune.err());
        Path hf = dir.resolve("hf-sentiment");
        CliTest.Run export = CliTest.run("export", "--model", base.toString(), "--adapter", full.toString(), "--merge",
                "--output", hf.toString());
        assertEquals(0, export.code(), export.err());
        assertTrue(Files.isRegularFile(hf.resolve("graft_task.json")), "export keeps the task description");
        try (SafetensorsFile f = SafetensorsFile.open(hf.resolve("model.safetensors"))) {
            assertTrue(f.names().containsAll(Set.of("classifier.weight", "classifier.bias")), "export keeps the head");
        }
        Path lora = dir.resolve("lora-sentiment");
        assertEquals(0, CliTest.run("tune", "--model", base.toString(), "--train", train.toString(), "--method", "lora",
                "--epochs", "1", "--max-length", "16", "--output", lora.toString()).code());

        // a model merged with itself is itself: its head on the merged backbone predicts exactly what the adapter does
        Path self = dir.resolve("self.yml");
        Files.writeString(self, "models: [hf-sentiment, hf-sentiment]\nmerge_method: linear\n");
        Path merged = dir.resolve("merged-self");
        CliTest.Run merge = CliTest.run("merge", "--config", self.toString(), "--output", merged.toString());
        assertEquals(0, merge.code(), merge.err());
        Path head = merged.resolve("heads").resolve("0-hf-sentiment");
        try (SafetensorsFile f = SafetensorsFile.open(head.resolve("adapter_model.safetensors"))) {
            assertEquals(Set.of("base_model.model.classifier.weight", "base_model.model.classifier.bias"), f.names());
        }
        List<JsonNode> want = predict("--model", base.toString(), "--adapter", full.toString());
        List<JsonNode> got = predict("--adapter", head.toString()); // no --model: the head records its backbone
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.get(i).get("label"), got.get(i).get("label"));
            JsonNode pw = want.get(i).get("probabilities");
            JsonNode pg = got.get(i).get("probabilities");
            pw.fieldNames().forEachRemaining(k -> assertEquals(pw.get(k).asDouble(), pg.get(k).asDouble(), 1e-5, k));
        }

        // two tasks: a full fine-tune and base+LoRA, task arithmetic; each keeps its head and evaluates
        Path two = dir.resolve("two.yml");
        Files.writeString(two, "models:\n  - model: hf-sentiment\n  - model: tiny+lora-sentiment\nbase_model: tiny\n"
                + "merge_method: task_arithmetic\nparameters: {lambda: 0.5}\n");
        Path merged2 = dir.resolve("merged-two");
        assertEquals(0, CliTest.run("merge", "--config", two.toString(), "--output", merged2.toString()).code());
        for (String h : new String[] {"0-hf-sentiment", "1-lora-sentiment"}) {
            CliTest.Run eval = CliTest.run("eval", "--adapter", merged2.resolve("heads").resolve(h).toString(),
                    "--data", train.toString(), "--json");
            assertEquals(0, eval.code(), h + ": " + eval.err());
            assertTrue(JSON.readTree(eval.out()).at("/metrics/accuracy").isNumber(), eval.out());
        }
    }

    @Test
    void linearProbingTrainsOnlyTheHead() throws Exception {
        Path base = baseAndData();
        Path train = dir.resolve("train.csv");
        Path probe = dir.resolve("probe");
        CliTest.Run tune = CliTest.run("tune", "--model", base.toString(), "--train", train.toString(), "--method", "head",
                "--epochs", "1", "--max-length", "16", "--output", probe.toString());
        assertEquals(0, tune.code(), tune.err());
        try (SafetensorsFile f = SafetensorsFile.open(probe.resolve("adapter_model.safetensors"))) {
            assertEquals(Set.of("base_model.model.classifier.weight", "base_model.model.classifier.bias"), f.names());
        }
        assertEquals("HEAD", JSON.readTree(probe.resolve("adapter_config.json").toFile()).get("peft_type").asText());
        assertEquals(0, CliTest.run("eval", "--model", base.toString(), "--adapter", probe.toString(), "--data", train.toString()).code());
        CliTest.Run retrieval = CliTest.run("tune", "--model", base.toString(), "--train", train.toString(), "--method", "head",
                "--task", "retrieval", "--output", dir.resolve("r").toString());
        assertEquals(1, retrieval.code());
        assertTrue(retrieval.err().contains("nothing to train"), retrieval.err());
    }

    @Test
    void atlasComposesTaskVectorsForATargetHead() throws Exception {
        Path base = baseAndData();
        Path train = dir.resolve("train.csv");
        Path full = dir.resolve("full");
        assertEquals(0, CliTest.run("tune", "--model", base.toString(), "--train", train.toString(), "--method", "full",
                "--epochs", "2", "--max-length", "16", "--output", full.toString()).code());
        assertEquals(0, CliTest.run("export", "--model", base.toString(), "--adapter", full.toString(), "--merge",
                "--output", dir.resolve("hf").toString()).code());
        Path lora = dir.resolve("lora");
        assertEquals(0, CliTest.run("tune", "--model", base.toString(), "--train", train.toString(), "--method", "lora",
                "--epochs", "1", "--max-length", "16", "--output", lora.toString()).code());
        Path probe = dir.resolve("probe");
        assertEquals(0, CliTest.run("tune", "--model", base.toString(), "--train", train.toString(), "--method", "head",
                "--epochs", "1", "--max-length", "16", "--output", probe.toString()).code());
        Path out = dir.resolve("atlas");
        // three kinds of task vector: a HF directory, a full fine-tuning adapter, a LoRA adapter
        CliTest.Run atlas = CliTest.run("atlas", "--model", base.toString(), "--task-vectors", dir.resolve("hf") + "," + full + "," + lora,
                "--train", train.toString(), "--heads", probe.toString(), "--steps", "4", "--output", out.toString());
        assertEquals(0, atlas.code(), atlas.err());
        assertTrue(atlas.out().contains("objective"), atlas.out());
        JsonNode report = JSON.readTree(out.resolve("atlas.json").toFile());
        assertEquals(3, report.get("coefficients").size());
        assertEquals(report.get("blocks").size(), report.get("coefficients").get(0).size());
        assertEquals(4, report.get("objective").size());
        for (String f : new String[] {"model.safetensors", "config.json", "atlas.png", "graft_provenance.json",
            "heads/0-probe/adapter_model.safetensors", "heads/0-probe/graft_task.json"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertEquals(0, CliTest.run("eval", "--adapter", out.resolve("heads/0-probe").toString(), "--data", train.toString()).code());

        CliTest.Run counts = CliTest.run("atlas", "--model", base.toString(), "--task-vectors", full.toString(), "--train",
                train + "," + train, "--heads", probe.toString(), "--output", dir.resolve("x").toString());
        assertEquals(1, counts.code());
        assertTrue(counts.err().contains("--heads: expected one head per --train file"), counts.err());
        CliTest.Run notEmpty = CliTest.run("atlas", "--model", base.toString(), "--task-vectors", full.toString(), "--train",
                train.toString(), "--heads", probe.toString(), "--steps", "1", "--output", out.toString());
        assertEquals(1, notEmpty.code());
        assertTrue(notEmpty.err().contains("already exists and is not empty"), notEmpty.err());
        CliTest.Run noVector = CliTest.run("atlas", "--model", base.toString(), "--task-vectors", train.toString(), "--train",
                train.toString(), "--heads", probe.toString(), "--output", dir.resolve("y").toString());
        assertEquals(1, noVector.code());
        assertTrue(noVector.err().contains("task vector directory does not exist"), noVector.err());
    }

    private Path baseAndData() throws Exception {
        Path base = CliTest.tinyModel(dir);
        StringBuilder csv = new StringBuilder("text,label\n");
        for (var e : dev.graft.train.ToyTasks.sentiment(32, 1)) {
            csv.append(e.text()).append(',').append(e.label()).append('\n');
        }
        Files.writeString(dir.resolve("train.csv"), csv);
        return base;
    }

    private List<JsonNode> predict(String... modelArgs) throws Exception {
        Path out = Files.createTempFile(dir, "p", ".jsonl");
        Files.delete(out);
        String[] args = new String[modelArgs.length + 5];
        args[0] = "predict";
        System.arraycopy(modelArgs, 0, args, 1, modelArgs.length);
        args[modelArgs.length + 1] = "--input";
        args[modelArgs.length + 2] = dir.resolve("train.csv").toString();
        args[modelArgs.length + 3] = "--output";
        args[modelArgs.length + 4] = out.toString();
        CliTest.Run r = CliTest.run(args);
        assertEquals(0, r.code(), r.err());
        return Files.readAllLines(out).stream().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }
}
