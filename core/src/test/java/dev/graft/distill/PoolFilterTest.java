package dev.graft.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.graft.GraftException;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trans-LoRA's discriminator filter: seeds against a pool, scored out of fold. */
class PoolFilterTest {
    @TempDir
    Path dir;

    static final String MODEL = "all-minilm-l6-v2";

    static final List<String> SEEDS = List.of(
            "Whisk the eggs with a pinch of salt before pouring them into the pan.",
            "Simmer the tomato sauce for twenty minutes until it thickens.",
            "Knead the bread dough for ten minutes, then let it rise.",
            "Roast the carrots in the oven with olive oil and thyme.",
            "Season the soup with pepper and a squeeze of lemon juice.",
            "Melt the butter in a skillet and fry the onions until golden.",
            "Bake the cake at 180 degrees until a skewer comes out clean.",
            "Chop the garlic finely and add it to the hot oil.",
            "Boil the pasta in salted water and drain it al dente.",
            "Marinate the chicken in yogurt and spices overnight.");

    static final List<String> COOKING = List.of(
            "Stir the risotto constantly while adding the stock a ladle at a time.",
            "Grill the salmon skin side down for four minutes.",
            "Fold the whipped cream gently into the chocolate mousse.",
            "Peel and dice the potatoes before boiling them.",
            "Sprinkle grated parmesan over the lasagne before baking.",
            "Toast the spices in a dry pan to release their aroma.",
            "Let the steak rest for five minutes before slicing it.",
            "Blend the roasted peppers into a smooth sauce.",
            "Rub the pork shoulder with brown sugar and paprika.",
            "Cook the rice with twice its volume of water.",
            "Brush the pastry with beaten egg for a golden crust.",
            "Add a splash of wine to deglaze the pan.",
            "Slice the cucumbers thinly for the salad.",
            "Caramelise the sugar in a heavy saucepan.",
            "Steam the broccoli until it is just tender.",
            "Mix the flour, baking powder and sugar in a bowl.",
            "Fry the bacon until crisp and drain it on paper.",
            "Pour the batter into a greased tin and bake for an hour.",
            "Reduce the heat and let the stew simmer slowly.",
            "Garnish the curry with fresh coriander leaves.");

    static final List<String> UNRELATED = List.of(
            "The router forwards packets to the next hop based on its routing table.",
            "Open port 443 in the firewall to allow HTTPS traffic.",
            "The DNS resolver caches answers until their TTL expires.",
            "TCP retransmits a segment when no acknowledgement arrives.",
            "Assign each subnet a block of IP addresses with a /24 mask.",
            "The switch learns MAC addresses from incoming frames.",
            "Configure the VPN tunnel with the server's public key.",
            "Packet loss on the link causes high latency for video calls.",
            "The load balancer spreads requests across three servers.",
            "Use traceroute to find where the connection drops.",
            "Refactor the method to return an Optional instead of null.",
            "The compiler reports an unchecked cast warning on line 42.",
            "Write a unit test for the parser before fixing the bug.",
            "The garbage collector pauses the application threads briefly.",
            "Merge the feature branch after the code review is approved.",
            "Declare the field final so the class stays immutable.",
            "The stack trace shows a null pointer exception in the loop.",
            "Use a hash map to look up users by their identifier.",
            "The build fails because a dependency version is missing.",
            "Profile the service to find which function allocates most.");

    private static List<Example> examples(List<String> texts, String file) {
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            out.add(new Example(texts.get(i), null, null, file + ":" + (i + 1)));
        }
        return out;
    }

    /** Cooking and unrelated texts shuffled together (fixed seed). */
    private static List<String> pool() {
        List<String> pool = new ArrayList<>(COOKING);
        pool.addAll(UNRELATED);
        Collections.shuffle(pool, new Random(7));
        return pool;
    }

    @Test
    void keepsTheInDistributionTextsOfAMixedPoolOnARealEncoder() {
        List<Example> seeds = examples(SEEDS, "seeds.txt");
        List<Example> pool = examples(pool(), "pool.txt");
        PoolFilter.Report report;
        PoolFilter.Report again;
        AtomicLong embedded = new AtomicLong();
        Progress progress = new Progress() {
            @Override
            public void start(String task, long total) {
            }

            @Override
            public void advance(long done) {
                embedded.addAndGet(done);
            }
        };
        try (EncoderModel encoder = EncoderModel.load(MODEL)) {
            report = PoolFilter.select(encoder, seeds, pool, COOKING.size(), progress);
            again = PoolFilter.select(encoder, seeds, pool, COOKING.size(), null);
        }
        assertTrue(embedded.get() >= SEEDS.size() + pool.size(), "progress saw " + embedded.get() + " units");

        assertEquals(COOKING.size(), report.kept().size());
        assertEquals(SEEDS.size(), report.seeds());
        assertEquals(pool.size(), report.pool());
        Set<String> cooking = new HashSet<>(COOKING);
        long right = report.kept().stream().filter(k -> cooking.contains(k.example().text())).count();
        double precision = (double) right / report.kept().size();
        assertTrue(precision >= 0.8, "precision " + precision + ": " + report.summary() + " kept "
                + report.kept().stream().map(k -> String.format("%.3f %s", k.score(), k.example().text())).toList());

        for (PoolFilter.Kept k : report.kept()) {
            assertEquals(pool.get(k.index()), k.example());
            assertEquals("pool.txt:" + (k.index() + 1), k.source());
            assertTrue(k.score() >= 0 && k.score() <= 1, "score " + k.score());
        }
        // deterministic: the same kept texts in the same order with the same scores
        assertEquals(report.kept(), again.kept());
        assertEquals(report.summary(), again.summary());
    }

    /** Two Gaussian clusters in 8 dimensions: seeds and the first half of the pool around +1, the rest around −1. */
    private static float[][] cluster(Random random, int n, float centre) {
        float[][] x = new float[n][8];
        for (float[] row : x) {
            for (int j = 0; j < row.length; j++) {
                row[j] = (j < 2 ? centre : 0) + (float) random.nextGaussian() * 0.7f;
            }
        }
        return x;
    }

    private static float[][] concat(float[][] a, float[][] b) {
        float[][] out = new float[a.length + b.length][];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void onFeaturesTheReportAddsUp() {
        Random random = new Random(11);
        float[][] seeds = cluster(random, 8, 1);
        float[][] pool = concat(cluster(random, 30, 1), cluster(random, 30, -1));
        List<Example> texts = new ArrayList<>();
        for (int i = 0; i < pool.length; i++) {
            texts.add(new Example("t" + i, null, null, "pool.jsonl:" + (i + 1)));
        }
        PoolFilter.Report r = PoolFilter.defaults().filter(seeds, pool, texts, 30, Progress.NONE);
        assertEquals(30, r.kept().size());
        assertEquals(8, r.seeds());
        assertEquals(60, r.pool());
        assertEquals(PoolFilter.DEFAULT_FOLDS, r.folds());
        assertEquals(PoolFilter.DEFAULT_LAMBDA, r.lambda());
        long inDistribution = r.kept().stream().filter(k -> k.index() < 30).count();
        assertTrue(inDistribution >= 26, inDistribution + " of 30 kept are in-distribution: " + r.summary());
        for (int i = 1; i < r.kept().size(); i++) {
            PoolFilter.Kept a = r.kept().get(i - 1);
            PoolFilter.Kept b = r.kept().get(i);
            assertTrue(a.score() > b.score() || a.score() == b.score() && a.index() < b.index(), "rank order at " + i);
        }
        assertTrue(r.minKept() <= r.medianKept() && r.medianKept() <= r.maxKept());
        assertEquals(r.kept().get(0).score(), r.maxKept());
        assertEquals(r.kept().get(29).score(), r.minKept());
        assertEquals((r.kept().get(14).score() + r.kept().get(15).score()) / 2, r.medianKept(), 1e-15);
        assertTrue(r.atLeastHalf() > 0 && r.atLeastHalf() <= 60);
        assertEquals(r.kept().stream().map(PoolFilter.Kept::example).toList(), r.examples());
        String line = r.summary();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.startsWith("pool filter: kept 30 of 60 pool texts (8 seeds); " + r.atLeastHalf()
                + " scored >= 0.5; kept scores min "), line);
        assertTrue(line.contains("; lambda 100.0, 5-fold cross-fitting; held-out AUC "), line);

        // the kept texts as JSON lines read back as unlabelled input, in rank order
        Path written = dir.resolve("out/kept.jsonl");
        r.writeJsonl(written);
        List<Example> back = dev.graft.train.ExampleFiles.reader().readUnlabelled(written);
        assertEquals(r.examples().stream().map(Example::text).toList(), back.stream().map(Example::text).toList());
        assertTrue(back.get(0).source().equals(written + ":1"), back.get(0).source());
        try {
            String first = java.nio.file.Files.readAllLines(written).get(0);
            assertTrue(first.startsWith("{\"text\":\"" + r.kept().get(0).example().text() + "\",\"score\":")
                    && first.endsWith(",\"source\":\"" + r.kept().get(0).source() + "\"}"), first);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }

        // more than the pool keeps all of it; a threshold keeps only what reaches it
        assertEquals(60, PoolFilter.defaults().filter(seeds, pool, texts, 1000, null).kept().size());
        PoolFilter.Report strict = PoolFilter.defaults().threshold(0.5).filter(seeds, pool, texts, Integer.MAX_VALUE, null);
        assertEquals(r.atLeastHalf(), strict.kept().size());
        strict.kept().forEach(k -> assertTrue(k.score() >= 0.5));
        assertTrue(strict.summary().contains("with score >= 0.5"), strict.summary());
        // cross-validation over a grid chooses one of its values
        PoolFilter.Report cv = PoolFilter.defaults().lambdas(0.01, 100, 1).filter(seeds, pool, texts, 30, null);
        assertTrue(cv.lambda() == 0.01 || cv.lambda() == 1 || cv.lambda() == 100, cv.summary());
        assertTrue(cv.cvAuc() > 0.5 && cv.cvAuc() <= 1, cv.summary());
        // the folds change which classifier scores which text, not the gist
        PoolFilter.Report three = PoolFilter.defaults().folds(3).filter(seeds, pool, texts, 30, null);
        assertEquals(3, three.folds());
        assertTrue(three.kept().stream().filter(k -> k.index() < 30).count() >= 26, three.summary());
    }

    @Test
    void aTaskModelFiltersOnTheFeaturesItsHeadReads() throws Exception {
        List<Example> data = ToyTasks.sentiment(40, 3);
        List<Example> seeds = data.subList(0, 6);
        List<Example> pool = data.subList(6, 40);
        PeftMethod lora = PeftMethods.byName("lora");
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2);
             TaskModel tm = new TaskModel(base, lora, lora.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode()),
                     LabelSpace.fromTraining(Task.CLASSIFICATION, data), Pooling.MEAN, 7)) {
            tm.maxLength(16);
            AtomicLong embedded = new AtomicLong();
            Progress progress = new Progress() {
                @Override
                public void start(String task, long total) {
                }

                @Override
                public void advance(long done) {
                    embedded.addAndGet(done);
                }
            };
            PoolFilter.Report viaModel = PoolFilter.defaults().filter(tm, 8, seeds, pool, 10, progress);
            PoolFilter.Report viaFeatures = PoolFilter.defaults().filter(tm.embed(seeds, 8), tm.embed(pool, 8), pool, 10,
                    null);
            assertEquals(40 + PoolFilter.DEFAULT_FOLDS + 1, embedded.get(), "40 texts embedded, then λ and each fold fitted");
            assertEquals(10, viaModel.kept().size());
            for (int i = 0; i < 10; i++) {
                assertEquals(viaFeatures.kept().get(i).index(), viaModel.kept().get(i).index());
                assertEquals(viaFeatures.kept().get(i).score(), viaModel.kept().get(i).score(), 1e-4);
            }
            assertOneLine(() -> PoolFilter.defaults().filter(tm, 0, seeds, pool, 10, null), "batch size must be positive");
        }
    }

    @Test
    void equalScoresKeepTheEarlierPoolText() {
        double[] scores = {0.5, 0.9, 0.5, 0.9, 0.1, 0.5};
        assertArrayEquals(new int[] {1, 3, 0}, PoolFilter.rank(scores, 3, 0));
        assertArrayEquals(new int[] {1, 3, 0, 2, 5}, PoolFilter.rank(scores, 10, 0.5));
        assertArrayEquals(new int[] {1, 3, 0, 2, 5, 4}, PoolFilter.rank(scores, 10, 0));
        assertArrayEquals(new int[] {}, PoolFilter.rank(scores, 10, 0.95));
    }

    private static void assertOneLine(Executable call, String... parts) {
        GraftException e = assertThrows(GraftException.class, call::execute);
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
        }
    }

    /** A call that may throw (java.util.function has none). */
    @FunctionalInterface
    interface Executable {
        void execute();
    }

    @Test
    void inputsAreValidatedWithOneLineMessages() {
        float[][] seeds = {{1, 0}, {0.9f, 0.1f}};
        float[][] pool = {{1, 0}, {0, 1}, {0.1f, 0.9f}};
        List<Example> texts = examples(List.of("a", "b", "c"), "pool.txt");
        PoolFilter f = PoolFilter.defaults();
        assertOneLine(() -> f.filter(seeds, pool, texts, 0, null), "--keep must be positive, got 0");
        assertOneLine(() -> f.filter(seeds, pool, texts, -3, null), "--keep must be positive, got -3");
        assertOneLine(() -> f.filter(new float[0][], pool, texts, 2, null), "no seed");
        assertOneLine(() -> f.filter(seeds, new float[0][], List.of(), 2, null), "pool", "has 0 texts");
        assertOneLine(() -> f.filter(seeds, new float[][] {{1, 0}}, texts.subList(0, 1), 2, null), "has 1 texts");
        assertOneLine(() -> f.filter(seeds, pool, texts.subList(0, 2), 2, null), "3 pool feature rows for 2 pool texts");
        assertOneLine(() -> f.filter(seeds, new float[][] {{1, 0}, {0, 1, 2}, {0, 1}}, texts, 2, null),
                "pool feature row 1 has 3 values; expected 2");
        assertOneLine(() -> f.threshold(1.5), "threshold must be a probability in [0, 1], got 1.5");
        assertOneLine(() -> f.threshold(Double.NaN), "threshold");
        assertOneLine(() -> f.folds(1), "folds must be at least 2, got 1");
        assertOneLine(() -> f.lambdas(), "λ values");
        assertOneLine(() -> f.lambdas(1, -1), "λ values must be finite and non-negative");
        // the encoder path checks before it embeds anything, so no model is needed to see these
        assertOneLine(() -> PoolFilter.select(null, List.of(), texts, 2, null), "no seed texts (--seeds)");
        assertOneLine(() -> PoolFilter.select(null, texts, List.of(), 2, null), "the pool (--filter-pool) has 0 texts");
        assertOneLine(() -> PoolFilter.select(null, texts, texts, 0, null), "--keep must be positive");
    }
}
