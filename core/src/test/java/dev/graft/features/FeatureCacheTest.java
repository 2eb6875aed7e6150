package dev.graft.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.runtime.Progress;
import dev.graft.testing.TinyBert;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureCacheTest {
    @TempDir
    Path dir;

    private static final List<String> TEXTS = List.of("the cat sat on the mat", "a dog", "i love java", "red blue green");

    @Test
    void everyLayerIsExtractedOnceAndTheLastEqualsTheEmbedding() throws Exception {
        try (EncoderModel m = TinyBert.create(dir.resolve("m"), 3)) {
            EmbedOptions o = new EmbedOptions(Pooling.MEAN, true, 2, 32, "");
            FeatureCache cache = new FeatureCache(dir.resolve("cache"));
            LayerFeatures f = cache.get(m, TEXTS, o, true, Progress.NONE);
            assertEquals(m.info().layers() + 1, f.layers().size());
            float[][] embedded = new Embedder(m, o).embed(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                assertArrayEquals(embedded[i], f.last()[i], 1e-6f);
            }
            // layers differ from each other (each is its own representation)
            assertNotEquals(f.layer(0)[0][0], f.layer(1)[0][0]);

            try (Stream<Path> files = Files.list(dir.resolve("cache"))) {
                assertEquals(1, files.count());
            }
            LayerFeatures again = cache.get(m, TEXTS, o, true, Progress.NONE);
            for (int l = 0; l < f.layers().size(); l++) {
                for (int i = 0; i < TEXTS.size(); i++) {
                    assertArrayEquals(f.layer(l)[i], again.layer(l)[i]);
                }
            }
            // other texts, or other pooling, get their own entry
            cache.get(m, TEXTS.subList(0, 3), o, true, Progress.NONE);
            cache.get(m, TEXTS, o.withPooling(Pooling.CLS), false, Progress.NONE);
            try (Stream<Path> files = Files.list(dir.resolve("cache"))) {
                assertEquals(3, files.count());
            }
            // a corrupt entry is recomputed, not trusted
            try (Stream<Path> files = Files.list(dir.resolve("cache"))) {
                for (Path p : files.toList()) {
                    Files.write(p, new byte[] {1, 2, 3});
                }
            }
            LayerFeatures recomputed = cache.get(m, TEXTS, o, true, Progress.NONE);
            assertArrayEquals(f.last()[2], recomputed.last()[2], 1e-6f);
        }
    }
}
