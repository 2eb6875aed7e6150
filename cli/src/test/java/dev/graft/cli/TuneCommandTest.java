package dev.graft.cli;

import static dev.graft.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.train.ToyTasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What graft tune prints and records beyond the files CliTest checks: the text and JSON summaries, the provenance of a
 * run with other column names and pooling, and the one-line errors that come before any training.
 */
class TuneCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void summariesProvenanceAndErrorsStayAsUsersKnowThem() throws Exception {
        Path model = CliTest.tinyModel(dir);
        Path data = sentimentCsv(dir.resolve("data.csv"), "body,y", 16);
        Path out = dir.resolve("text");
        List<String> common = List.of("--model", model.toString(), "--train", data.toString(), "--text-column", "body",
                "--label-column", "y", "--epochs", "1", "--batch-size", "8", "--max-length", "16");

        CliTest.Run text = run(args(common, "tune", "--eval", data.toString(), "--pooling", "mean", "--output", out.toString()));
        assertEquals(0, text.code(), text.err());
        List<String> lines = text.out().lines().toList();
        assertEquals(5, lines.size(), text.out());
        assertTrue(lines.get(0).matches("linear probe: λ \\de[-+]\\d\\d \\(\\d-fold CV accuracy \\d\\.\\d{3}\\), "
                + "train loss \\d+\\.\\d{3}, \\d+\\.\\d s"), lines.get(0));
        lines = lines.subList(1, 5);
        assertTrue(lines.get(0).matches("trained lora on 16 examples: \\S+ trainable parameters \\(\\d+\\.\\d\\d% of \\S+\\), "
                + "2 updates in \\d+\\.\\d s \\(\\d+\\.\\d examples/s\\)"), lines.get(0));
        assertTrue(lines.get(1).matches("budget: 2 of 2 updates \\(--epochs\\); best at update \\d"), lines.get(1));
        assertTrue(lines.get(2).matches("eval \\(best at update \\d\\): accuracy \\d\\.\\d{4}, .*"), lines.get(2));
        assertTrue(lines.get(3).matches("adapter: " + java.util.regex.Pattern.quote(out.toString())
                + " \\(.+\\), metrics.jsonl and training.png beside it"), lines.get(3));

        JsonNode prov = JSON.readTree(out.resolve("graft_provenance.json").toFile());
        assertEquals("adapter", prov.get("kind").asText());
        assertEquals(data.toString(), prov.at("/inputs/train/path").asText());
        assertEquals(data.toString(), prov.at("/inputs/eval/path").asText());
        assertEquals(dev.graft.io.Provenance.sha256(data), prov.at("/inputs/train/sha256").asText());
        JsonNode config = prov.get("config");
        assertEquals(List.of("method", "method_config", "training", "task", "labels", "pooling", "probe_init", "probe_refit_on_all",
                "linear_probe"),
                names(config));
        assertEquals(List.of("reference", "task", "lambda", "folds", "cv_metric", "cv_score", "train_loss", "examples", "seconds"),
                names(config.get("linear_probe")));
        assertEquals("lora", config.get("method").asText());
        assertEquals(8, config.at("/method_config/r").asInt());
        assertEquals("classification", config.get("task").asText());
        assertEquals("[\"neg\",\"pos\"]", config.get("labels").toString());
        assertEquals("mean", config.get("pooling").asText());
        assertEquals(1e-3, config.at("/training/learningRate").asDouble(), 0, "lora's default learning rate");
        assertEquals(16, config.at("/training/maxLength").asInt());
        assertEquals(42, prov.get("seed").asLong());
        assertTrue(prov.get("metrics").has("accuracy"), prov.toString());

        Path jsonOut = dir.resolve("json");
        CliTest.Run json = run(args(common, "tune", "--json", "--output", jsonOut.toString()));
        assertEquals(0, json.code(), json.err());
        JsonNode summary = JSON.readTree(json.out());
        assertEquals(List.of("output", "method", "trainable_parameters", "method_parameters", "trainable_percent", "adapter_bytes",
                "metrics", "linear_probe", "best_step", "updates", "seconds", "examples_per_second", "tokens_per_second", "layer_parameters",
                "budget", "selection"),
                names(summary));
        assertEquals(jsonOut.toString(), summary.get("output").asText());
        assertEquals(Files.size(jsonOut.resolve("adapter_model.safetensors")), summary.get("adapter_bytes").asLong());
        assertTrue(summary.get("method_parameters").asLong() < summary.get("trainable_parameters").asLong(),
                "the task head trains beside the method: " + summary);
        assertEquals(0, summary.get("metrics").size(), "no --eval, no metrics");
        assertEquals(2, summary.get("updates").asLong());
        assertEquals("epochs", summary.at("/budget/rule").asText());
        assertEquals(2, summary.at("/budget/planned_updates").asLong());
        assertEquals("none", summary.at("/selection/kind").asText(), "16 examples are too few to hold any out");
        assertEquals(1, JSON.readTree(jsonOut.resolve("graft_provenance.json").toFile()).get("inputs").size(), "train only");

        assertEquals("graft: " + out + ": already holds an adapter; choose another --output, or --resume a stopped run",
                run(args(common, "tune", "--output", out.toString())).err().strip());
        assertEquals("graft: unknown pooling 'bogus': expected one of [cls, mean, pooler]",
                run(args(common, "tune", "--pooling", "bogus", "--output", dir.resolve("p").toString())).err().strip());
        CliTest.Run method = run(args(common, "tune", "--method", "bogus", "--output", dir.resolve("m").toString()));
        assertEquals(1, method.code());
        assertTrue(method.err().startsWith("graft: unknown method 'bogus'; expected one of [") && method.err().contains("lora"), method.err());
        CliTest.Run column = run(args(List.of("--model", model.toString(), "--train", data.toString()), "tune",
                "--output", dir.resolve("c").toString()));
        assertEquals(1, column.code());
        assertTrue(column.err().contains("no column 'text'"), column.err());
        assertTrue(!Files.exists(dir.resolve("p")) && !Files.exists(dir.resolve("m")) && !Files.exists(dir.resolve("c")),
                "failed runs write nothing");
    }

    @Test
    void withoutEvalASliceIsHeldOutAndSaidSoAndTheBudgetOptionsAreChecked() throws Exception {
        Path model = CliTest.tinyModel(dir);
        Path data = sentimentCsv(dir.resolve("train.csv"), "text,label", 60);
        List<String> common = List.of("--model", model.toString(), "--train", data.toString(), "--batch-size", "8");
        Path out = dir.resolve("held");

        CliTest.Run held = run(args(common, "tune", "--updates", "4", "--output", out.toString()));
        assertEquals(0, held.code(), held.err());
        List<String> lines = held.out().lines().toList();
        assertTrue(lines.get(0).startsWith("linear probe: λ "), lines.get(0) + " (fitted on the 54 training examples)");
        assertTrue(lines.get(2).matches("budget: 4 of 4 updates \\(--updates\\); best at update \\d"), lines.get(2));
        assertEquals("selection: 10% of train.csv held out (6 examples, stratified); --no-holdout to train on everything",
                lines.get(3));
        assertTrue(lines.get(4).startsWith("eval (best at update "), lines.get(4));
        JsonNode probed = JSON.readTree(out.resolve("graft_provenance.json").toFile());
        boolean refit = probed.at("/config/probe_refit_on_all").asBoolean();
        assertEquals(refit ? 60 : 54, probed.at("/config/linear_probe/examples").asInt(),
                "the selecting probe never sees the holdout; a probe that fine-tuning did not beat is refit on all");
        assertEquals(refit, lines.get(0).contains("; refit on all 60 examples, since fine-tuning did not beat it on the holdout"),
                lines.get(0));
        JsonNode prov = JSON.readTree(out.resolve("graft_provenance.json").toFile());
        assertEquals("holdout", prov.at("/selection/kind").asText());
        assertEquals(6, prov.at("/selection/examples").asInt());
        assertEquals("updates", prov.at("/budget/rule").asText());
        assertEquals(4, prov.at("/budget/planned_updates").asInt());
        assertEquals(64, prov.at("/config/training/maxLength").asInt(), "128 capped at the tiny model's positions");

        CliTest.Run all = run(args(common, "tune", "--updates", "2", "--no-holdout", "--json", "--output", dir.resolve("all").toString()));
        assertEquals(0, all.code(), all.err());
        JsonNode summary = JSON.readTree(all.out());
        assertEquals("none", summary.at("/selection/kind").asText());
        assertEquals(0, summary.get("metrics").size());

        String tooLong = run(args(common, "tune", "--max-length", "65", "--output", dir.resolve("l").toString())).err().strip();
        assertTrue(tooLong.startsWith("graft: max length 65 exceeds max_position_embeddings 64 in the config.json of ")
                && tooLong.endsWith("; use a max length of at most 64") && tooLong.lines().count() == 1, tooLong);
        assertEquals("graft: --epochs and --updates: give one of them",
                run(args(common, "tune", "--epochs", "1", "--updates", "2", "--output", dir.resolve("u").toString())).err().strip());
        assertTrue(!Files.exists(dir.resolve("l")) && !Files.exists(dir.resolve("u")), "failed runs write nothing");
        String help = run("help", "tune").out();
        assertTrue(help.contains("Budget: without --epochs or --updates") && help.contains("--no-holdout"), help);
    }

    @Test
    void autoRunsTrialsKeepsTheBestAndSaysSo() throws Exception {
        Path model = CliTest.tinyModel(dir);
        Path data = sentimentCsv(dir.resolve("train.csv"), "text,label", 60);
        Path out = dir.resolve("auto");
        CliTest.Run r = run("tune", "--model", model.toString(), "--train", data.toString(), "--batch-size", "8",
                "--updates", "4", "--auto", "--search", "2", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("trial 1: lr ") && lines.get(1).startsWith("trial 2: lr "), r.out());
        assertTrue(r.out().contains("search: trial ") && r.out().contains(" of 2 kept (lr "), r.out());
        assertTrue(Files.isRegularFile(out.resolve("search.json")) && Files.isRegularFile(out.resolve("adapter_model.safetensors")));
        assertEquals(2, JSON.readTree(out.resolve("graft_provenance.json").toFile()).at("/search/trials").size());
        assertEquals("graft: --search sets how many learning rates --auto tries; add --auto",
                run("tune", "--model", model.toString(), "--train", data.toString(), "--search", "2", "--output",
                        dir.resolve("s").toString()).err().strip());
    }

    /** {@code n} toy sentiment examples under the CSV {@code header}, written to {@code file}. */
    private static Path sentimentCsv(Path file, String header, int n) throws java.io.IOException {
        StringBuilder csv = new StringBuilder(header).append('\n');
        ToyTasks.sentiment(n, 1).forEach(e -> csv.append(e.text()).append(',').append(e.label()).append('\n'));
        return Files.writeString(file, csv);
    }

    private static String[] args(List<String> common, String command, String... more) {
        List<String> a = new ArrayList<>();
        a.add(command);
        a.addAll(common);
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    private static List<String> names(JsonNode object) {
        List<String> n = new ArrayList<>();
        object.fieldNames().forEachRemaining(n::add);
        return n;
    }
}
