package dev.graft.select.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.testing.TinyBert;
import dev.graft.train.ToyTasks;
import dev.graft.tune.Tuning;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An adapter candidate cuts texts at the adapter's own max length unless told otherwise, and gives features and probabilities. */
class AdapterCandidateTest {
    @TempDir
    Path dir;

    @Test
    void usesTheAdaptersMaxLengthUnlessOverridden() {
        Path model = dir.resolve("tiny");
        Path adapter = dir.resolve("adapter");
        try (EncoderModel base = TinyBert.create(dir.resolve("tok"), 3, 0.2)) {
            base.saveAsHuggingFace(model);
        }
        try (EncoderModel base = EncoderModel.load(model.toString())) {
            Tuning.of(base).method("lora").train(ToyTasks.sentiment(16, 1)).epochs(1).maxLength(16).run(adapter);
        }
        List<String> texts = List.of("the cat sat", "a good dog", "bad");
        try (AdapterCandidate c = AdapterCandidate.load(adapter, model.toString(), null)) {
            assertEquals(16, c.maxLength());
            assertEquals(adapter.toString(), c.label());
            float[][] f = c.features(texts);
            assertEquals(3, f.length);
            assertEquals(TinyBert.config().hiddenSize(), f[0].length);
            float[][] p = c.sourceProbabilities(texts);
            assertEquals(2, p[0].length);
            assertEquals(1.0, p[2][0] + p[2][1], 1e-5);
        }
        try (AdapterCandidate c = AdapterCandidate.load(adapter, model.toString(), 12)) {
            assertEquals(12, c.maxLength());
        }
        GraftException tooLong = assertThrows(GraftException.class, () -> AdapterCandidate.load(adapter, model.toString(), 100_000));
        assertTrue(tooLong.getMessage().contains("max length 100000"), tooLong.getMessage());
    }
}
