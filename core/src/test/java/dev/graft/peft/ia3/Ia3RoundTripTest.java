package dev.graft.peft.ia3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.runtime.Arrays2;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.train.ToyTasks;
import dev.graft.tune.TaskModelFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * (IA)³ vectors far from their initial ones survive save and load: a fresh copy of the base with the saved adapter
 * gives the outputs of the model that was saved.
 */
class Ia3RoundTripTest {
    @TempDir
    Path dir;

    @Test
    void savedVectorsLoadToTheSameOutputs() {
        List<Example> texts = ToyTasks.sentiment(12, 4);
        Path adapter = dir.resolve("adapter");
        float[][] saved;
        float[][] unadapted;
        try (EncoderModel base = TinyBert.create(dir.resolve("a"), 21, 0.2)) {
            PeftMethod ia3 = PeftMethods.byName("ia3");
            ObjectNode cfg = ia3.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode());
            LabelSpace labels = LabelSpace.fromTraining(Task.CLASSIFICATION, texts);
            try (TaskModel model = new TaskModel(base, ia3, cfg, labels, Pooling.MEAN, 3)) {
                unadapted = model.predict(texts, 16, 8);
                Random r = new Random(9);
                int vectors = 0;
                for (Map.Entry<String, Parameter> e : model.trainable().entrySet()) {
                    float[] v = e.getValue().getArray().toFloatArray();
                    boolean scaling = e.getKey().contains("ia3_l");
                    for (int i = 0; i < v.length; i++) {
                        // scaling vectors around 1 (their start) with a wide spread; the head at random
                        v[i] = (float) (scaling ? 1 + 0.5 * r.nextGaussian() : 0.3 * r.nextGaussian());
                    }
                    Arrays2.assign(e.getValue().getArray(), v);
                    vectors += scaling ? 1 : 0;
                }
                // PEFT's suffix match: output.dense also selects attention.output.dense
                assertEquals(2 * 4, vectors, "key, value and both output.dense vectors in 2 layers: " + model.trainable().keySet());
                saved = model.predict(texts, 16, 8);
                TaskModelFiles.save(model.maxLength(16), adapter);
            }
        }
        try (EncoderModel fresh = TinyBert.create(dir.resolve("b"), 21, 0.2);
             TaskModel loaded = TaskModelFiles.load(fresh, adapter)) {
            float[][] again = loaded.predict(texts, 16, 8);
            boolean changed = false;
            for (int i = 0; i < saved.length; i++) {
                assertArrayEquals(saved[i], again[i], 1e-6f, "text " + i);
                changed |= Math.abs(saved[i][0] - unadapted[i][0]) > 1e-3;
            }
            assertTrue(changed, "the vectors change the outputs, so the comparison means something");
        }
    }
}
