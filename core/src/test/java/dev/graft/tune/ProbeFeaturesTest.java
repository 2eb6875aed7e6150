package dev.graft.tune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.train.ToyTasks;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe's step-0 features are embedded once per example and start state, and equal a fresh embedding. */
class ProbeFeaturesTest {
    @TempDir
    Path dir;

    @Test
    void embedsOnlyExamplesNotSeenFromTheSameStartState() throws Exception {
        List<Example> all = ToyTasks.sentiment(24, 1);
        List<Example> part = all.subList(0, 16);
        PeftMethod lora = PeftMethods.byName("lora");
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2);
             TaskModel tm = new TaskModel(base, lora, lora.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode()),
                     LabelSpace.fromTraining(Task.CLASSIFICATION, all), Pooling.MEAN, 7)) {
            tm.maxLength(16);
            ProbeFeatures features = new ProbeFeatures();
            float[][] first = features.of(tm, "a", part, 4);
            float[][] again = features.of(tm, "a", all, 8);
            float[][] fresh = tm.embed(all, 8);
            for (int i = 0; i < all.size(); i++) {
                if (i < part.size()) {
                    assertSame(first[i], again[i], "example " + i + " was embedded again");
                }
                assertArrayEquals(fresh[i], again[i], 1e-5f);
            }
            float[][] otherState = features.of(tm, "b", part, 4);
            assertNotSame(first[0], otherState[0], "a new start state must not reuse features");
        }
    }
}
