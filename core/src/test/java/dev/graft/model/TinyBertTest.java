package dev.graft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import dev.graft.testing.TinyBert;
import dev.graft.text.TokenizedText;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fast checks of the encoder, tokenizer and embedder on a tiny random BERT. */
class TinyBertTest {
    @TempDir
    Path dir;

    @Test
    void hfParameterNamesAndCount() {
        try (EncoderModel m = TinyBert.create(dir, 1)) {
            var names = m.namedParameters().keySet();
            assertTrue(names.contains("embeddings.word_embeddings.weight"));
            assertTrue(names.contains("encoder.layer.0.attention.self.query.weight"));
            assertTrue(names.contains("encoder.layer.1.attention.output.LayerNorm.bias"));
            assertTrue(names.contains("encoder.layer.1.intermediate.dense.weight"));
            assertTrue(names.contains("encoder.layer.1.output.dense.bias"));
            assertTrue(names.contains("pooler.dense.weight"));
            assertEquals(2 * 16 + 5 + 2, names.size());
            assertTrue(m.encoder().namedModules().containsKey("encoder.layer.0.attention.self.value"));
            long expected = m.namedParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
            assertEquals(expected, m.info().parameters());
        }
    }

    @Test
    void tokenizerAddsSpecialTokensTruncatesAndPairs() {
        try (EncoderModel m = TinyBert.create(dir, 1)) {
            TokenizedText t = m.tokenizer().encode("The cat sat", 64);
            assertEquals(5, t.length());
            assertEquals(2, t.ids()[0]); // [CLS]
            assertEquals(3, t.ids()[4]); // [SEP]
            assertEquals(8, m.tokenizer().encode("the cat ".repeat(20), 8).length());
            TokenizedText p = m.tokenizer().encode("the cat", "a dog", 64);
            assertArrayEquals(new long[] {0, 0, 0, 0, 1, 1, 1}, p.typeIds());
        }
    }

    @Test
    void embeddingsDoNotDependOnBatchingOrPadding() {
        try (EncoderModel m = TinyBert.create(dir, 7)) {
            List<String> texts = List.of("the cat sat on the mat", "dog", "", "i love java very very much",
                    "a red and blue and green film", "bad");
            EmbedOptions base = EmbedOptions.defaults(m);
            float[][] one = new Embedder(m, base.withBatchSize(1)).embed(texts);
            float[][] all = new Embedder(m, base.withBatchSize(16)).embed(texts);
            for (int i = 0; i < texts.size(); i++) {
                for (int h = 0; h < one[i].length; h++) {
                    assertEquals(one[i][h], all[i][h], 1e-5, "text " + i);
                }
            }
        }
    }

    @Test
    void embeddingsDoNotDependOnTheTokenBudget() {
        // long and short texts mixed: small budgets put long texts alone and short ones together
        try (EncoderModel m = TinyBert.create(dir, 8)) {
            List<String> texts = List.of("the cat sat on the mat ".repeat(6), "dog", "", "i love java very very much",
                    "a red and blue and green film ".repeat(3), "bad", "good mat", "the dog sat on the cat ".repeat(9));
            EmbedOptions base = EmbedOptions.defaults(m);
            float[][] alone = new Embedder(m, base.withBatchSize(1)).embed(texts);
            List<float[][]> aloneLayers = new Embedder(m, base.withBatchSize(1)).embedAllLayers(texts, dev.graft.runtime.Progress.NONE);
            for (int budget : new int[] {1, 16, 40, 100, 1 << 20}) {
                Embedder e = new Embedder(m, base.withBatchSize(4).withMaxBatchTokens(budget));
                assertClose(alone, e.embed(texts), "budget " + budget);
                List<float[][]> layers = e.embedAllLayers(texts, dev.graft.runtime.Progress.NONE);
                for (int l = 0; l < layers.size(); l++) {
                    assertClose(aloneLayers.get(l), layers.get(l), "budget " + budget + ", layer " + l);
                }
            }
            GraftException bad = assertThrows(GraftException.class, () -> base.withMaxBatchTokens(0));
            assertEquals("--max-batch-tokens must be ≥ 1, got 0", bad.getMessage());
        }
    }

    private static void assertClose(float[][] expected, float[][] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            for (int h = 0; h < expected[i].length; h++) {
                assertEquals(expected[i][h], actual[i][h], 1e-5, what + ", text " + i);
            }
        }
    }

    @Test
    void poolingModesAndNormalisation() {
        try (EncoderModel m = TinyBert.create(dir, 3)) {
            List<String> texts = List.of("the good movie", "a terrible film");
            for (Pooling p : Pooling.values()) {
                float[][] v = new Embedder(m, EmbedOptions.defaults(m).withPooling(p).withNormalize(true)).embed(texts);
                for (float[] row : v) {
                    double n = 0;
                    for (float x : row) {
                        n += x * x;
                    }
                    assertEquals(1.0, Math.sqrt(n), 1e-5, p + " vectors are unit length");
                }
            }
            float[][] cls = new Embedder(m, EmbedOptions.defaults(m).withPooling(Pooling.CLS)).embed(texts);
            float[][] mean = new Embedder(m, EmbedOptions.defaults(m).withPooling(Pooling.MEAN)).embed(texts);
            assertTrue(Math.abs(cls[0][0] - mean[0][0]) > 1e-7, "CLS and mean pooling differ");
        }
    }

    @Test
    void sameSeedSameModelDifferentSeedDifferentModel() {
        List<String> texts = List.of("the cat");
        try (EncoderModel a = TinyBert.create(dir.resolve("a"), 5); EncoderModel b = TinyBert.create(dir.resolve("b"), 5);
             EncoderModel c = TinyBert.create(dir.resolve("c"), 6)) {
            float[] va = new Embedder(a, EmbedOptions.defaults(a)).embed(texts)[0];
            float[] vb = new Embedder(b, EmbedOptions.defaults(b)).embed(texts)[0];
            float[] vc = new Embedder(c, EmbedOptions.defaults(c)).embed(texts)[0];
            assertArrayEquals(va, vb);
            assertTrue(Math.abs(va[0] - vc[0]) > 1e-7);
        }
    }

    @Test
    void badOptionsAreClearErrors() {
        try (EncoderModel m = TinyBert.create(dir, 1)) {
            GraftException e = assertThrows(GraftException.class,
                    () -> new Embedder(m, EmbedOptions.defaults(m).withMaxLength(1000)));
            assertTrue(e.getMessage().contains("64"), e.getMessage());
            assertThrows(GraftException.class, () -> EmbedOptions.defaults(m).withBatchSize(0));
        }
    }

    @Test
    void unknownModelIdSuggestsClosest() {
        GraftException e = assertThrows(GraftException.class, () -> EncoderModel.load("bge-smal-en"));
        assertTrue(e.getMessage().contains("did you mean bge-small-en"), e.getMessage());
        GraftException d = assertThrows(GraftException.class, () -> EncoderModel.load("./no/such/dir"));
        assertTrue(d.getMessage().contains("does not exist"), d.getMessage());
    }
}
