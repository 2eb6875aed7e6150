package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.io.safetensors.SafetensorsFile;
import dev.graft.model.EncoderModel;
import dev.graft.testing.TinyBert;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as users meet it: exit codes, one-line errors, JSON output, the embed and tune paths. */
class CliTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = GraftCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    /** A tiny BERT saved as a Hugging Face directory, {@code dir/tiny}, for commands given --model DIR. */
    static Path tinyModel(Path dir) {
        Path model = dir.resolve("tiny");
        try (EncoderModel m = TinyBert.create(dir.resolve("tok"), 3, 0.2)) {
            m.saveAsHuggingFace(model);
        }
        return model;
    }

    @Test
    void usageErrorsExitWithTwoAndSayWhatToFix() {
        Run r = run("embed", "--model", "all-minilm-l6-v2");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Missing required options"), r.err());
        assertEquals(2, run("no-such-command").code());
        assertEquals(2, run("tune", "--bogus").code());
    }

    @Test
    void anUnknownCommandIsAUsageErrorEvenWithHelp() {
        for (String[] args : new String[][] {{"tnue"}, {"tnue", "--help"}, {"--verbose", "tnue", "-h"}}) {
            Run r = run(args);
            assertEquals(2, r.code(), String.join(" ", args));
            assertTrue(r.err().startsWith("graft: unknown command 'tnue'\n"), r.err());
            assertEquals("", r.out(), "no help text for a command that does not exist");
        }
    }

    @Test
    void everyCommandHasHelp() {
        Run top = run("--help");
        assertEquals(0, top.code());
        assertTrue(top.out().startsWith("Usage: graft "), top.out());
        for (String command : new String[] {"tune", "embed", "merge", "eval", "compare"}) {
            Run r = run(command, "--help");
            assertEquals(0, r.code(), command + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: graft " + command + " "), r.out());
        }
    }

    @Test
    void modelsJsonListsTheBundledIds() throws Exception {
        Run r = run("models", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode list = new ObjectMapper().readTree(r.out());
        assertEquals(5, list.size());
        assertEquals("all-minilm-l6-v2", list.get(0).get("id").asText());
        assertEquals(22713216, list.get(0).get("parameters").asLong());
    }

    @Test
    void failuresAreOneLineWithExitOneAndStackTraceOnlyWhenVerbose() throws Exception {
        Path txt = dir.resolve("in.txt");
        Files.writeString(txt, "hello\n");
        Run unknown = run("embed", "--model", "bge-smal-en", "--input", txt.toString(), "--output", dir.resolve("o.npy").toString());
        assertEquals(1, unknown.code());
        assertEquals(1, unknown.err().strip().lines().count(), unknown.err());
        assertTrue(unknown.err().contains("did you mean bge-small-en"), unknown.err());
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "text,label\n\"hello, world\",a\nbroken,row,extra\n");
        Run bad = run("embed", "--model", "all-minilm-l6-v2", "--input", csv.toString(), "--output", dir.resolve("o.npy").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().startsWith("graft: " + csv + ":3: expected 2 fields"), bad.err());
        Run verbose = run("--verbose", "embed", "--model", "all-minilm-l6-v2", "--input", csv.toString(), "--output", dir.resolve("o.npy").toString());
        assertTrue(verbose.err().contains("\tat "), "stack trace with --verbose");
        Path good = dir.resolve("good.csv");
        Files.writeString(good, "text,label\n\"hello, world\",a\n");
        Run column = run("embed", "--model", "all-minilm-l6-v2", "--input", good.toString(), "--text-column", "body", "--output", dir.resolve("o.npy").toString());
        assertEquals(1, column.err().strip().lines().count(), "no stack trace once --verbose is gone: " + column.err());
        assertTrue(column.err().contains("no column 'body'"), column.err());
    }

    @Test
    void theTokenBudgetIsAnOptionOfEveryBatchedInferenceCommandAndChangesNoVector() throws Exception {
        for (String command : new String[] {"embed", "predict", "eval", "features", "rank"}) {
            Run r = run(command, "--help");
            assertTrue(r.out().contains("--max-batch-tokens=N"), command + ": " + r.out());
        }
        Path model = tinyModel(dir);
        Path txt = dir.resolve("in.txt");
        Files.writeString(txt, "the cat sat on the mat and the dog sat on the cat\ndog\na good dog on a good mat\n");
        assertEquals(0, run("embed", "--model", model.toString(), "--input", txt.toString(), "--output", dir.resolve("a.jsonl").toString()).code());
        Run small = run("embed", "--model", model.toString(), "--input", txt.toString(), "--max-batch-tokens", "8",
                "--output", dir.resolve("b.jsonl").toString());
        assertEquals(0, small.code(), small.err());
        List<String> a = Files.readAllLines(dir.resolve("a.jsonl"));
        List<String> b = Files.readAllLines(dir.resolve("b.jsonl"));
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < a.size(); i++) {
            JsonNode x = json.readTree(a.get(i)).get("embedding");
            JsonNode y = json.readTree(b.get(i)).get("embedding");
            for (int h = 0; h < x.size(); h++) {
                assertEquals(x.get(h).asDouble(), y.get(h).asDouble(), 1e-5, "text " + i);
            }
        }
        Run zero = run("embed", "--model", model.toString(), "--input", txt.toString(), "--max-batch-tokens", "0",
                "--output", dir.resolve("c.jsonl").toString());
        assertEquals(1, zero.code());
        assertEquals("graft: --max-batch-tokens must be ≥ 1, got 0", zero.err().strip());
    }

    @Test
    void embedWritesEveryOutputFormatAndTuneEvalPredictWork() throws Exception {
        Path model = tinyModel(dir);
        Path jsonl = dir.resolve("in.jsonl");
        Files.writeString(jsonl, "{\"text\": \"the cat\"}\n\n{\"text\": \"a good dog\"}\n");
        Run npy = run("embed", "--model", model.toString(), "--input", jsonl.toString(), "--output", dir.resolve("v.npy").toString());
        assertEquals(0, npy.code(), npy.err());
        byte[] b = Files.readAllBytes(dir.resolve("v.npy"));
        assertEquals((byte) 0x93, b[0]);
        assertEquals(0, (10 + (b[8] & 0xff) + ((b[9] & 0xff) << 8)) % 64, "npy data 64-byte aligned");
        assertEquals(0, run("embed", "--model", model.toString(), "--input", jsonl.toString(), "--output", dir.resolve("v.safetensors").toString()).code());
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("v.safetensors"))) {
            assertEquals(2, f.shape("embeddings")[0]);
        }
        assertEquals(0, run("embed", "--model", model.toString(), "--input", jsonl.toString(), "--output", dir.resolve("v.jsonl").toString()).code());
        assertEquals(2, Files.readAllLines(dir.resolve("v.jsonl")).size());

        StringBuilder csv = new StringBuilder("text,label\n");
        for (var e : dev.graft.train.ToyTasks.sentiment(32, 1)) {
            csv.append(e.text()).append(',').append(e.label()).append('\n');
        }
        Path train = dir.resolve("train.csv");
        Files.writeString(train, csv);
        Path adapter = dir.resolve("adapter");
        Run tune = run("tune", "--model", model.toString(), "--train", train.toString(), "--eval", train.toString(), "--method", "lora",
                "--epochs", "2", "--max-length", "16", "--json", "--output", adapter.toString());
        assertEquals(0, tune.code(), tune.err());
        for (String f : new String[] {"adapter_config.json", "adapter_model.safetensors", "graft_task.json", "graft_provenance.json",
            "metrics.jsonl", "training.png"}) {
            assertTrue(Files.exists(adapter.resolve(f)), f);
        }
        JsonNode config = new ObjectMapper().readTree(adapter.resolve("adapter_config.json").toFile());
        assertEquals("LORA", config.get("peft_type").asText());
        try (SafetensorsFile f = SafetensorsFile.open(adapter.resolve("adapter_model.safetensors"))) {
            assertTrue(f.names().contains("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight"), f.names().toString());
            assertTrue(f.names().contains("base_model.model.classifier.weight"));
        }
        Run again = run("tune", "--model", model.toString(), "--train", train.toString(), "--output", adapter.toString());
        assertEquals(1, again.code());
        assertTrue(again.err().contains("already holds an adapter"), again.err());
        Run eval = run("eval", "--model", model.toString(), "--adapter", adapter.toString(), "--data", train.toString(), "--json");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(new ObjectMapper().readTree(eval.out()).get("metrics").has("macro_f1"));
        Run predict = run("predict", "--model", model.toString(), "--adapter", adapter.toString(), "--input", train.toString(),
                "--output", dir.resolve("p.jsonl").toString());
        assertEquals(0, predict.code(), predict.err());
        JsonNode first = new ObjectMapper().readTree(Files.readAllLines(dir.resolve("p.jsonl")).get(0));
        assertTrue(first.has("label") && first.has("probabilities"));
        Run export = run("export", "--model", model.toString(), "--adapter", adapter.toString(), "--merge", "--output", dir.resolve("merged").toString());
        assertEquals(0, export.code(), export.err());
        assertTrue(Files.exists(dir.resolve("merged").resolve("model.safetensors")));

        Run noMerge = run("export", "--model", model.toString(), "--adapter", adapter.toString(), "--output", dir.resolve("x").toString());
        assertEquals(2, noMerge.code(), "--format hf without --merge is a usage error");
        assertTrue(noMerge.err().contains("add --merge"), noMerge.err());
        Run onnx = run("export", "--model", model.toString(), "--adapter", adapter.toString(), "--format", "onnx",
                "--output", dir.resolve("onnx").toString());
        assertEquals(0, onnx.code(), onnx.err());
        assertTrue(onnx.out().contains("merged into the weights"), onnx.out());
        for (String f : new String[] {"model.onnx", "tokenizer.json", "onnx_export.json", "graft_task.json", "graft_provenance.json"}) {
            assertTrue(Files.exists(dir.resolve("onnx").resolve(f)), f);
        }
        JsonNode described = new ObjectMapper().readTree(dir.resolve("onnx").resolve("onnx_export.json").toFile());
        assertEquals("probabilities", described.get("outputs").get(3).get("name").asText());
        Run plain = run("export", "--model", model.toString(), "--format", "onnx", "--quantize", "int8", "--output", dir.resolve("plain").toString());
        assertEquals(0, plain.code(), plain.err());
        assertTrue(Files.exists(dir.resolve("plain").resolve("model.onnx")));
        assertTrue(Files.readString(dir.resolve("plain").resolve("onnx_export.json")).contains("int8 dynamic"));
    }
}
