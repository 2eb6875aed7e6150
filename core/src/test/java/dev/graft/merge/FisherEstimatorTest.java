package dev.graft.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.graft.io.safetensors.SafetensorsFile;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.runtime.Progress;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.train.ToyTasks;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FisherEstimatorTest {
    @TempDir
    Path dir;

    @Test
    void headBiasFisherIsTheMeanSquaredResidual() {
        List<Example> data = ToyTasks.sentiment(12, 5);
        try (EncoderModel base = TinyBert.create(dir, 11, 0.5)) {
            PeftMethod lora = PeftMethods.byName("lora");
            var cfg = lora.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode());
            try (TaskModel model = new TaskModel(base, lora, cfg, LabelSpace.fromTraining(Task.CLASSIFICATION, data), Pooling.MEAN, 3)) {
                float[][] probs = model.predict(data, 16, 4);
                for (FisherEstimator.Label label : FisherEstimator.Label.values()) {
                    Map<String, float[]> f = FisherEstimator.estimate(model, data, 16, label, Progress.NONE);
                    // ∂ log p_y / ∂ b = e_y − p, so F_b[c] = mean over examples of (1[c = y] − p_c)²
                    float[] fb = f.get("classifier.bias");
                    for (int c = 0; c < 2; c++) {
                        double want = 0;
                        for (int n = 0; n < data.size(); n++) {
                            int y = label == FisherEstimator.Label.GOLD ? model.labels().classIndex(data.get(n))
                                    : probs[n][0] >= probs[n][1] ? 0 : 1;
                            double r = (c == y ? 1 : 0) - probs[n][c];
                            want += r * r;
                        }
                        assertEquals(want / data.size(), fb[c], 1e-4, label + " class " + c);
                    }
                    float[] fq = f.get("encoder.layer.0.attention.self.query.weight");
                    double sum = 0;
                    for (float v : fq) {
                        assertTrue(v >= 0);
                        sum += v;
                    }
                    assertTrue(sum > 0, "the encoder weights get a Fisher too");
                }
                Map<String, float[]> f = FisherEstimator.estimate(model, data, 16, FisherEstimator.Label.GOLD, Progress.NONE);
                Path file = dir.resolve("fisher.safetensors");
                FisherEstimator.write(file, f, FisherEstimator.shapes(model), Map.of());
                try (SafetensorsFile sf = SafetensorsFile.open(file)) {
                    assertTrue(sf.names().containsAll(base.namedParameters().keySet()));
                    assertEquals(f.get("classifier.bias")[1], sf.readFloats("classifier.bias")[1], 0f);
                }
                // the parameters are frozen again afterwards
                assertTrue(base.namedParameters().values().stream().noneMatch(p -> p.getArray().hasGradient()));
            }
        }
    }
}
