package dev.graft.select.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.peft.AdapterFiles;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.ToyTasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation fine-tunes each model with LoRA, keeps its adapter, and reports accuracy on the held-out data. */
class FineTunedAccuracyTest {
    @TempDir
    Path dir;

    @Test
    void fineTunesEachModelAndMeasuresAccuracy() throws Exception {
        Path model = dir.resolve("tiny");
        try (EncoderModel base = TinyBert.create(dir.resolve("tok"), 3, 0.2)) {
            base.saveAsHuggingFace(model);
        }
        List<Example> train = ToyTasks.sentiment(16, 1);
        List<Example> held = ToyTasks.sentiment(8, 2);
        List<String> lines = new ArrayList<>();
        Path out = dir.resolve("validate");
        Map<String, Double> accuracy = FineTunedAccuracy.lora().epochs(1).maxLength(16).output(out).log(lines::add)
                .measure(List.of(model.toString()), train, held);
        assertEquals(List.of(model.toString()), List.copyOf(accuracy.keySet()));
        double a = accuracy.get(model.toString());
        assertTrue(a >= 0 && a <= 1, "accuracy " + a);
        assertEquals(1, lines.size());
        assertTrue(lines.get(0).contains("with LoRA"), lines.get(0));
        try (var adapters = Files.list(out)) {
            assertTrue(adapters.anyMatch(d -> Files.exists(d.resolve(AdapterFiles.CONFIG))), "the adapter is kept under " + out);
        }

        GraftException none = assertThrows(GraftException.class,
                () -> FineTunedAccuracy.lora().measure(List.of(model.toString()), train, List.of()));
        assertTrue(none.getMessage().contains("validation data"), none.getMessage());
    }
}
