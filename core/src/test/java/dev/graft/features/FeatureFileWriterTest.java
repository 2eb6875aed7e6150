package dev.graft.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import dev.graft.io.safetensors.SafetensorsFile;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Pooling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Feature files hold the layers asked for, the labels and the metadata; a bad extension or layer is refused. */
class FeatureFileWriterTest {
    @TempDir
    Path dir;

    /** 3 texts, 2 dims, embeddings + 2 layers; layer l's row i is {l, i}. */
    private static final LayerFeatures FEATURES = new LayerFeatures("m", "sha", List.of(
            new float[][] {{0, 0}, {0, 1}, {0, 2}}, new float[][] {{1, 0}, {1, 1}, {1, 2}}, new float[][] {{2, 0}, {2, 1}, {2, 2}}),
            true);
    private static final LabelledTexts TEXTS = new LabelledTexts(List.of("a", "b", "c"), new int[] {1, 0, 1}, List.of("neg", "pos"));
    private static final EmbedOptions OPTIONS = new EmbedOptions(Pooling.MEAN, true, 32, 16, null);

    @Test
    void safetensorsHoldsEveryLayerTheLabelsAndTheMetadata() {
        Path out = dir.resolve("f.safetensors");
        FeatureFileWriter.of(FEATURES, TEXTS, OPTIONS).allLayers(true).write(out);
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(Set.of("layer.0", "layer.1", "layer.2", "labels"), f.names());
            assertArrayEquals(new long[] {3, 2}, f.shape("layer.1"));
            assertArrayEquals(new float[] {1, 0, 1, 1, 1, 2}, f.readFloats("layer.1"));
            assertArrayEquals(new long[] {3}, f.shape("labels"));
            assertEquals("[\"neg\",\"pos\"]", f.metadata().get("classes"));
            assertEquals("mean", f.metadata().get("pooling"));
            assertEquals("true", f.metadata().get("normalize"));
            assertEquals("m", f.metadata().get("model"));
        }
        Path one = dir.resolve("one.safetensors");
        FeatureFileWriter.of(FEATURES, TEXTS, OPTIONS).layer(1).write(one);
        try (SafetensorsFile f = SafetensorsFile.open(one)) {
            assertEquals(Set.of("layer.1", "labels"), f.names());
        }
    }

    @Test
    void npyHoldsOneLayerWithItsLabelsBeside() throws Exception {
        Path out = dir.resolve("f.npy");
        FeatureFileWriter.of(FEATURES, TEXTS, OPTIONS).write(out);
        assertEquals(128 + 3 * 2 * 4, Files.size(out));
        assertEquals(128 + 3 * 8, Files.size(dir.resolve("f.labels.npy")));
        byte[] data = Files.readAllBytes(out);
        // the final layer's first value (2.0f, little-endian) follows the 128-byte header
        assertEquals(0x40, data[128 + 3]);
    }

    @Test
    void refusesAnUnknownExtensionAndALayerOutOfRange() {
        GraftException ext = assertThrows(GraftException.class,
                () -> FeatureFileWriter.of(FEATURES, TEXTS, OPTIONS).write(dir.resolve("f.csv")));
        assertTrue(ext.getMessage().contains("expected .safetensors or .npy"), ext.getMessage());
        GraftException layer = assertThrows(GraftException.class,
                () -> FeatureFileWriter.of(FEATURES, TEXTS, OPTIONS).layer(3).write(dir.resolve("f.npy")));
        assertTrue(layer.getMessage().contains("between 0 and 2"), layer.getMessage());
        assertThrows(GraftException.class, () -> FeatureFileWriter.of(FEATURES,
                new LabelledTexts(List.of("a"), new int[] {0}, List.of("x")), OPTIONS));
    }
}
