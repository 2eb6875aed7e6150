package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.testing.TinyBert;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TrainerTest {
    @TempDir
    Path dir;

    private static TrainingConfig fast() {
        return TrainingConfig.builder().epochs(25).batchSize(8).learningRate(1e-2).maxLength(16)
                .warmupRatio(0.0).build();
    }

    @ParameterizedTest
    @CsvSource({"bitfit, 0.05, 60", "full, 0.01, 25"})
    void methodLearnsSeparableTask(String name, double lr, int epochs) {
        List<Example> train = ToyTasks.sentiment(48, 1);
        List<Example> eval = train; // "fit": the method must be able to fit a separable task
        try (EncoderModel base = TinyBert.create(dir, 11)) {
            PeftMethod method = PeftMethods.byName(name);
            var cfg = method.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode());
            LabelSpace labels = LabelSpace.fromTraining(Task.CLASSIFICATION, train);
            try (TaskModel model = new TaskModel(base, method, cfg, labels, Pooling.MEAN, 3)) {
                TrainingResult r = new Trainer(model, fast().toBuilder().learningRate(lr).epochs(epochs).build(), null, null).train(train, eval, false);
                double first = ((Number) r.history().get(0).get("loss")).doubleValue();
                double last = ((Number) r.history().get(r.history().size() - 1).get("loss")).doubleValue();
                assertTrue(last < first * 0.6, name + ": loss falls " + first + " -> " + last);
                assertEquals(1.0, r.finalMetrics().get("accuracy"), 1e-9, name + " reaches 100% accuracy: " + r.finalMetrics());
            }
        }
    }

    @Test
    void stopsWhenTheDevScoreStopsImprovingAndKeepsTheBest() {
        List<Example> train = ToyTasks.sentiment(32, 1);
        List<Example> dev = ToyTasks.sentiment(8, 2); // 9 possible accuracies: the score must stop improving
        try (EncoderModel base = TinyBert.create(dir, 11)) {
            PeftMethod method = PeftMethods.byName("bitfit");
            var cfg = method.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode());
            try (TaskModel model = new TaskModel(base, method, cfg, LabelSpace.fromTraining(Task.CLASSIFICATION, train), Pooling.MEAN, 3)) {
                TrainingConfig c = fast().toBuilder().learningRate(0.05).epochs(0).updates(400).evalEvery(2).patience(3).build();
                TrainingResult r = new Trainer(model, c, dir.resolve("run"), null).train(train, dev, false);
                assertTrue(r.stoppedEarly(), "stopped before 400 updates: " + r.steps());
                assertEquals(r.bestStep() + 3 * 2, r.steps(), "three evaluations without improvement after the best");
                assertEquals(400, r.budget().updates());
                Map<String, Object> last = r.history().get(r.history().size() - 1);
                assertEquals(Boolean.TRUE, last.get("early_stop"));
                Map<?, ?> best = r.history().stream().filter(h -> ((Number) h.get("step")).longValue() == r.bestStep())
                        .map(h -> (Map<?, ?>) h.get("eval")).findFirst().orElseThrow();
                assertEquals(((Number) best.get("accuracy")).doubleValue(), r.finalMetrics().get("accuracy"), 1e-9,
                        "the best checkpoint's parameters are kept");
            }
        }
    }

    @Test
    void anUpdateBudgetEndsMidEpoch() {
        List<Example> train = ToyTasks.sentiment(48, 1); // 6 updates an epoch
        try (EncoderModel base = TinyBert.create(dir, 11)) {
            PeftMethod method = PeftMethods.byName("bitfit");
            var cfg = method.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode());
            try (TaskModel model = new TaskModel(base, method, cfg, LabelSpace.fromTraining(Task.CLASSIFICATION, train), Pooling.MEAN, 3)) {
                TrainingConfig c = fast().toBuilder().epochs(0).updates(9).build();
                TrainingResult r = new Trainer(model, c, null, null).train(train, train.subList(0, 4), false);
                assertEquals(9, r.steps());
                assertFalse(r.stoppedEarly());
                assertEquals(9L, ((Number) r.history().get(r.history().size() - 1).get("step")).longValue(),
                        "the last update is evaluated");
            }
        }
    }

    @Test
    void onlyTrainableParametersChange() {
        List<Example> train = ToyTasks.sentiment(16, 1);
        try (EncoderModel base = TinyBert.create(dir, 11)) {
            PeftMethod method = PeftMethods.byName("bitfit");
            var cfg = method.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode());
            float[] weightBefore = base.namedParameters().get("encoder.layer.0.attention.self.query.weight").getArray().toFloatArray();
            float[] biasBefore = base.namedParameters().get("encoder.layer.0.attention.self.query.bias").getArray().toFloatArray();
            try (TaskModel model = new TaskModel(base, method, cfg, LabelSpace.fromTraining(Task.CLASSIFICATION, train), Pooling.MEAN, 3)) {
                new Trainer(model, fast().toBuilder().epochs(1).build(), null, null).train(train, List.of(), false);
            }
            float[] weightAfter = base.namedParameters().get("encoder.layer.0.attention.self.query.weight").getArray().toFloatArray();
            float[] biasAfter = base.namedParameters().get("encoder.layer.0.attention.self.query.bias").getArray().toFloatArray();
            assertTrue(java.util.Arrays.equals(weightBefore, weightAfter), "frozen weight unchanged");
            assertTrue(!java.util.Arrays.equals(biasBefore, biasAfter), "bias trained");
        }
    }

    @Test
    void labelOnlyInEvaluationIsAClearError() {
        List<Example> train = ToyTasks.sentiment(8, 1);
        List<Example> eval = List.of(new Example("the cat", null, "neutral", "eval.csv:2"));
        try (EncoderModel base = TinyBert.create(dir, 11)) {
            PeftMethod method = PeftMethods.byName("bitfit");
            var cfg = method.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode());
            try (TaskModel model = new TaskModel(base, method, cfg, LabelSpace.fromTraining(Task.CLASSIFICATION, train), Pooling.MEAN, 3)) {
                GraftException e = assertThrows(GraftException.class, () -> new Trainer(model, fast(), null, null).train(train, eval, false));
                assertTrue(e.getMessage().startsWith("eval.csv:2: label 'neutral'"), e.getMessage());
            }
        }
    }

    @Test
    void nanLossStopsWithAClearMessage() {
        List<Example> train = ToyTasks.sentiment(16, 1);
        try (EncoderModel base = TinyBert.create(dir, 11)) {
            PeftMethod method = PeftMethods.byName("full");
            var cfg = method.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode());
            try (TaskModel model = new TaskModel(base, method, cfg, LabelSpace.fromTraining(Task.CLASSIFICATION, train), Pooling.MEAN, 3)) {
                // an absurd learning rate without clipping blows the weights up within a few updates
                TrainingConfig wild = fast().toBuilder().learningRate(0.9).maxGradNorm(0).epochs(30).weightDecay(0).build();
                base.namedParameters().get("embeddings.word_embeddings.weight").getArray().muli(1e30f);
                GraftException e = assertThrows(DivergedException.class, () -> new Trainer(model, wild, null, null).train(train, List.of(), false));
                assertTrue(e.getMessage().contains("NaN or infinite"), e.getMessage());
            }
        }
    }
}
