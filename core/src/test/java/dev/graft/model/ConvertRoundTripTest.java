package dev.graft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import dev.graft.testing.TinyBert;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model written as a Hugging Face directory loads back to identical outputs and keeps its pooling. */
class ConvertRoundTripTest {
    @TempDir
    Path dir;

    private static final List<String> TEXTS = List.of("the cat sat on the mat", "", "Grüße 🚀 and 中文", "i love java");

    @Test
    void bundledModelConvertsToAnIdenticalHfDirectory() {
        Path out = dir.resolve("minilm");
        try (EncoderModel bundled = EncoderModel.load("all-minilm-l6-v2")) {
            bundled.saveAsHuggingFace(out);
            for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "modules.json", "1_Pooling/config.json")) {
                assertTrue(Files.isRegularFile(out.resolve(f)), f);
            }
            try (EncoderModel loaded = EncoderModel.load(out.toString())) {
                assertEquals(Pooling.MEAN, loaded.defaultPooling());
                assertTrue(loaded.defaultNormalize());
                assertEquals(bundled.info().parameters(), loaded.info().parameters());
                float[][] a = new Embedder(bundled, EmbedOptions.defaults(bundled)).embed(TEXTS);
                float[][] b = new Embedder(loaded, EmbedOptions.defaults(loaded)).embed(TEXTS);
                for (int i = 0; i < a.length; i++) {
                    assertArrayEquals(a[i], b[i], "text " + i);
                }
            }
        }
    }

    @Test
    void tinyModelRoundTripAndBadDirectories() {
        Path out = dir.resolve("tiny-out");
        try (EncoderModel tiny = TinyBert.create(dir.resolve("tiny"), 4)) {
            tiny.saveAsHuggingFace(out);
            try (EncoderModel loaded = EncoderModel.load(out.toString())) {
                float[][] a = new Embedder(tiny, EmbedOptions.defaults(tiny)).embed(TEXTS);
                float[][] b = new Embedder(loaded, EmbedOptions.defaults(loaded)).embed(TEXTS);
                for (int i = 0; i < a.length; i++) {
                    assertArrayEquals(a[i], b[i]);
                }
            }
        }
        GraftException noConfig = assertThrows(GraftException.class, () -> EncoderModel.load(dir.resolve("tiny").toString()));
        assertTrue(noConfig.getMessage().contains("no config.json"), noConfig.getMessage());
    }
}
