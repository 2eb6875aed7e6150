package dev.graft.model.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import dev.graft.export.OnnxExporter;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.testing.TinyBert;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An export directory embeds on ONNX Runtime alone as the model it came from embeds on PyTorch. */
class OnnxModelDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void anExportDirectoryEmbedsAsItsModelWithoutWeights() {
        List<String> texts = List.of("the cat sat on the mat", "a good dog", "bad");
        float[][] expected;
        Path export = dir.resolve("onnx");
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 5, 0.2)) {
            expected = new Embedder(base, EmbedOptions.defaults(base).withNormalize(true)).embed(texts);
            OnnxExporter.of(base).normalize(true).write(export);
        }
        try (OnnxModelDirectory m = OnnxModelDirectory.open(export); OrtEngine e = m.openEngine()) {
            assertTrue(m.embedOptions().normalize());
            float[][] actual = m.embedder(m.embedOptions(), e).embed(texts);
            for (int i = 0; i < texts.size(); i++) {
                for (int h = 0; h < expected[i].length; h++) {
                    assertEquals(expected[i][h], actual[i][h], 1e-4, "text " + i + " dimension " + h);
                }
            }
        }
        GraftException e = assertThrows(GraftException.class, () -> EncoderModel.load(export.toString()));
        assertTrue(e.getMessage().contains("graft embed --model " + export), e.getMessage());
    }
}
