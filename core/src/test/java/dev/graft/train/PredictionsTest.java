package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.testing.TinyBert;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Predictions read a file by named columns and give each row its label and probabilities; the reader's rules hold. */
class PredictionsTest {
    @TempDir
    Path dir;

    @Test
    void aPredictionReadsItsScoresByTask() {
        Example e = new Example("t", null, null, "x");
        Prediction c = new Prediction(e, Task.CLASSIFICATION, List.of("neg", "pos"), new float[] {0.3f, 0.7f});
        assertEquals("pos", c.label());
        assertEquals(0.7f, c.probability());
        assertEquals(Map.of("neg", 0.3f, "pos", 0.7f), c.probabilities());
        Prediction m = new Prediction(e, Task.MULTI_LABEL, List.of("a", "b", "c"), new float[] {0.9f, 0.2f, 0.6f});
        assertEquals(List.of("a", "c"), m.labels());
        Prediction r = new Prediction(e, Task.REGRESSION, List.of(), new float[] {2.5f});
        assertEquals(2.5f, r.value());
    }

    @Test
    void predictsEveryRowOfAFileByNamedColumns() throws Exception {
        Path csv = Files.writeString(dir.resolve("new.csv"), "sentence,other\nthe cat sat,x\na good dog,y\nbad mat,z\n");
        List<Example> train = ToyTasks.sentiment(8, 1);
        PeftMethod lora = PeftMethods.byName("lora");
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 5);
             TaskModel model = new TaskModel(base, lora, lora.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode()),
                     LabelSpace.fromTraining(Task.CLASSIFICATION, train), base.defaultPooling(), 1)) {
            List<Prediction> p = Predictions.of(model).batchSize(2)
                    .columns(ExampleFiles.reader().textColumn("sentence")).run(csv);
            assertEquals(3, p.size());
            assertEquals("a good dog", p.get(1).example().text());
            for (Prediction q : p) {
                assertEquals(model.labels().names(), List.copyOf(q.probabilities().keySet()));
                double sum = q.probabilities().values().stream().mapToDouble(Float::doubleValue).sum();
                assertEquals(1.0, sum, 1e-5);
                assertTrue(model.labels().names().contains(q.label()));
            }
            // the token budget changes only how rows are batched, never what they predict or their order
            List<Example> mixed = List.of(new Example("the cat sat on the mat ".repeat(8), null, null, "x"),
                    new Example("dog", null, null, "x"), new Example("a good film ".repeat(4), null, null, "x"),
                    new Example("bad", null, null, "x"));
            List<Prediction> alone = Predictions.of(model).batchSize(1).run(mixed);
            List<Prediction> budgeted = Predictions.of(model).batchSize(8).maxBatchTokens(20).run(mixed);
            for (int i = 0; i < mixed.size(); i++) {
                assertEquals(mixed.get(i), budgeted.get(i).example());
                for (String label : model.labels().names()) {
                    assertEquals(alone.get(i).probabilities().get(label), budgeted.get(i).probabilities().get(label), 1e-5);
                }
            }
            GraftException budget = assertThrows(GraftException.class, () -> Predictions.of(model).maxBatchTokens(0));
            assertEquals("--max-batch-tokens must be ≥ 1, got 0", budget.getMessage());
            GraftException missing = assertThrows(GraftException.class, () -> Predictions.of(model).run(csv));
            assertTrue(missing.getMessage().contains("text"), missing.getMessage());
            assertThrows(GraftException.class, () -> Predictions.of(model).batchSize(0));
        }
    }

    @Test
    void theReaderHasTheCliDefaultsAndNamesAMissingLabel() throws Exception {
        Path csv = Files.writeString(dir.resolve("d.csv"), "text,text_pair,label,y\na,b,pos,1\nc,,,2\n");
        GraftException e = assertThrows(GraftException.class, () -> ExampleFiles.reader().read(csv));
        assertTrue(e.getMessage().contains("'label'"), e.getMessage());
        List<Example> rows = ExampleFiles.reader().labelsRequired(false).read(csv);
        assertEquals("b", rows.get(0).pair());
        assertEquals(null, rows.get(1).pair());
        List<Example> byY = ExampleFiles.reader().labelColumn("y").pairColumn("none").read(csv);
        assertEquals(List.of("1", "2"), byY.stream().map(Example::label).toList());
        assertEquals(null, byY.get(0).pair());
    }
}
