package dev.graft.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.model.EncoderModel;
import dev.graft.testing.TinyBert;
import dev.graft.train.Budget;
import dev.graft.train.Example;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.train.ToyTasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The builder trains from a data file, writes a loadable adapter with provenance, and refuses to overwrite one; without
 * evaluation data it holds out a slice of the training data (unless told not to, or the data is too small).
 */
class TuningTest {
    @TempDir
    Path dir;

    @Test
    void trainsFromAFileAndWritesALoadableAdapter() throws Exception {
        List<Example> data = ToyTasks.sentiment(48, 1);
        Path csv = dir.resolve("train.csv");
        StringBuilder sb = new StringBuilder("text,label\n");
        data.forEach(e -> sb.append(e.text()).append(',').append(e.label()).append('\n'));
        Files.writeString(csv, sb);
        Path out = dir.resolve("adapter");
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2)) {
            Tuning.Result r = Tuning.of(base).method("lora").option("r", 4)
                    .option("target_modules", List.of("query", "value", "output.dense"))
                    .train(csv).eval(csv).epochs(60).batchSize(8).maxLength(16).learningRate(0.005)
                    .run(out);
            assertEquals(1.0, r.metrics().get("accuracy"), 1e-9, r.metrics().toString());
            assertEquals(4, r.methodConfig().get("r").asInt());
            assertTrue(r.trainablePercent() > 0 && r.trainablePercent() < 100);
            JsonNode prov = new ObjectMapper().readTree(out.resolve(Provenance.FILE).toFile());
            assertTrue(prov.toString().contains("train.csv"), "provenance names the data file: " + prov);

            try (TaskModel loaded = TaskModelFiles.load(base, out, null)) {
                float[][] p = loaded.predict(data, 16, 16);
                for (int i = 0; i < data.size(); i++) {
                    int argmax = p[i][0] >= p[i][1] ? 0 : 1;
                    assertEquals(data.get(i).label(), loaded.labels().names().get(argmax));
                }
            }
            GraftException again = assertThrows(GraftException.class,
                    () -> Tuning.of(base).train(csv).run(out));
            assertTrue(again.getMessage().contains("already holds an adapter"), again.getMessage());
            GraftException empty = assertThrows(GraftException.class, () -> Tuning.of(base).run(dir.resolve("x")));
            assertTrue(empty.getMessage().contains("no training data"));
        }
    }

    @Test
    void withoutEvalDataAStratifiedSliceSelectsAndStopsTheAutomaticBudget() throws Exception {
        List<Example> data = ToyTasks.sentiment(60, 1);
        Path out = dir.resolve("held");
        Path csv = dir.resolve("train.csv");
        Files.writeString(csv, "text,label\n"); // only hashed: the examples are given
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2)) {
            Tuning.Result r = Tuning.of(base).method("bitfit").train(data, csv).learningRate(0.05).run(out);
            assertEquals(Selection.Kind.HOLDOUT, r.selection().kind());
            assertEquals(List.of(3L, 3L), r.selection().eval().stream()
                    .collect(Collectors.groupingBy(Example::label, Collectors.counting())).values().stream().toList(),
                    "6 held out, stratified");
            assertEquals(54, r.selection().train().size());
            assertEquals("selection: 10% of train.csv held out (6 examples, stratified); --no-holdout to train on everything",
                    r.selection().describe());
            assertTrue(r.metrics().containsKey("accuracy"), "metrics on the held-out slice: " + r.metrics());
            Budget b = r.training().budget();
            assertEquals(Budget.Rule.AUTO, b.rule());
            assertEquals(Budget.FLOOR, b.updates(), "4 updates an epoch: the floor");
            assertEquals(Budget.PATIENCE, b.patience());
            assertTrue(r.training().steps() <= b.updates());
            if (r.training().stoppedEarly()) {
                assertEquals(r.training().bestStep() + (long) b.patience() * b.evalEvery(), r.training().steps());
            }
            assertEquals(64, r.config().maxLength(), "the default max length, capped at the tiny model's 64 positions");

            JsonNode prov = new ObjectMapper().readTree(out.resolve(Provenance.FILE).toFile());
            assertEquals("holdout", prov.at("/selection/kind").asText());
            assertEquals(6, prov.at("/selection/examples").asInt());
            assertTrue(prov.at("/selection/stratified").asBoolean());
            assertEquals("auto", prov.at("/budget/rule").asText());
            assertEquals(r.training().steps(), prov.at("/budget/updates").asLong());
            assertEquals(r.training().bestStep(), prov.at("/budget/best_update").asLong());

            Tuning.Result all = Tuning.of(base).method("bitfit").train(data).holdout(false).updates(3).run(dir.resolve("all"));
            assertEquals(Selection.Kind.NONE, all.selection().kind());
            assertEquals(60, all.selection().train().size(), "--no-holdout trains on everything");
            assertTrue(all.metrics().isEmpty());
            assertEquals(3, all.training().steps());

            // a learning rate too small to move anything never beats the probe: the kept probe is refit on all 60
            Tuning.Result still = Tuning.of(base).method("bitfit").train(data, csv).learningRate(1e-9).updates(20)
                    .run(dir.resolve("still"));
            assertEquals(0, still.training().bestStep());
            assertEquals(54, still.selection().train().size());
            assertEquals(60, still.probe().examples(), "refit on the held-out examples too");
            JsonNode stillProv = new ObjectMapper().readTree(dir.resolve("still").resolve(Provenance.FILE).toFile());
            assertTrue(stillProv.at("/config/probe_refit_on_all").asBoolean(), stillProv.toString());

            // the head alone is a cross-validated probe: nothing to select among checkpoints, so nothing held out
            Tuning.Result head = Tuning.of(base).method("head").train(data, csv).run(dir.resolve("head"));
            assertEquals(Selection.Kind.CROSS_VALIDATION, head.selection().kind());
            assertEquals(60, head.selection().train().size(), "the probe sees every training example");
            assertEquals(60, head.probe().examples());
            assertEquals("selection: none held out: the linear probe chooses its regularisation by cross-validation on all"
                    + " of train.csv", head.selection().describe());
        }
    }

    @Test
    void tooLittleDataHoldsNothingOutAndSaysSo() {
        Selection s = Selection.choose(ToyTasks.sentiment(40, 1), List.of(), true, Task.CLASSIFICATION, 42, Path.of("d/train.csv"));
        assertEquals(Selection.Kind.NONE, s.kind());
        assertEquals(40, s.train().size());
        assertEquals("selection: no holdout (fewer than 50 examples in train.csv); trained for the fixed budget without early"
                + " stopping, keeping the last update", s.describe());
        assertEquals("fewer than 50 examples", s.summary().get("reason"));
        List<Example> dev = ToyTasks.sentiment(4, 2);
        Selection given = Selection.choose(ToyTasks.sentiment(80, 1), dev, true, Task.CLASSIFICATION, 42, null);
        assertEquals(Selection.Kind.EVAL, given.kind());
        assertEquals(80, given.train().size(), "evaluation data given: nothing held out");
        assertEquals(null, given.describe());
    }

    @Test
    void headMethodIsTheFittedProbeAndIsRecorded() throws Exception {
        List<Example> data = ToyTasks.topic(80, 5);
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2)) {
            Path out = dir.resolve("head");
            Tuning.Result r = Tuning.of(base).method("head").train(data).eval(data).maxLength(16).run(out);
            assertEquals(0, r.training().steps(), "no gradient updates: the probe is the result");
            assertEquals(1.0, r.metrics().get("accuracy"), 1e-9, r.metrics() + " " + r.probe().summary());
            JsonNode prov = new ObjectMapper().readTree(out.resolve(Provenance.FILE).toFile());
            assertTrue(prov.toString().contains("\"linear_probe\""), "provenance records the probe: " + prov);
            assertTrue(Files.readString(out.resolve("metrics.jsonl")).contains("\"step\":0"));
            try (TaskModel loaded = TaskModelFiles.load(base, out, null)) {
                assertEquals(1.0, dev.graft.train.Evaluator.evaluate(loaded, data, 16, 16).get("accuracy"), 1e-9);
            }

            Tuning.Result random = Tuning.of(base).method("head").train(data).eval(data).maxLength(16).epochs(1)
                    .probeInit(false).run(dir.resolve("random"));
            assertEquals(null, random.probe());
            assertTrue(random.training().steps() > 0, "without the probe the head trains by gradient");

            Tuning.Result lora = Tuning.of(base).method("lora").train(data).eval(data).maxLength(16).epochs(1)
                    .run(dir.resolve("lora"));
            List<String> records = Files.readAllLines(dir.resolve("lora").resolve("metrics.jsonl"));
            assertTrue(records.get(0).startsWith("{\"step\":0,"), "the probe is evaluated before the first update: " + records);
            assertTrue(lora.metrics().get("accuracy") >= r.metrics().get("accuracy"),
                    "the best checkpoint is never worse on the eval data than the probe it started from");
        }
    }
}
