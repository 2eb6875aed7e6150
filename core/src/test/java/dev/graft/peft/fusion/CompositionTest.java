package dev.graft.peft.fusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.peft.AdapterFiles;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.train.ToyTasks;
import dev.graft.train.Trainer;
import dev.graft.train.TrainingConfig;
import dev.graft.tune.TaskModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Two-stage transfer on a tiny model: three source adapters trained on different toy tasks (sentiment, topic,
 * language), then compositions trained for a target task equal to the first source's.
 */
class CompositionTest {
    @TempDir
    static Path dir;
    static EncoderModel base;
    static List<Path> sources = new ArrayList<>();
    static final List<Example> TARGET_TRAIN = ToyTasks.sentiment(96, 5);
    static final List<Example> TARGET_TEST = ToyTasks.sentiment(64, 9);

    @BeforeAll
    static void trainSources() {
        base = TinyBert.create(dir.resolve("m"), 11, 0.2);
        List<List<Example>> tasks = List.of(ToyTasks.sentiment(192, 1), ToyTasks.topic(192, 2), ToyTasks.language(192, 3));
        for (int i = 0; i < tasks.size(); i++) {
            Path out = dir.resolve("source" + i);
            train("adapter", options("{'bottleneck_size': 16}"), tasks.get(i), 0.01, 25, out, 100 + i).close();
            sources.add(out);
        }
    }

    @AfterAll
    static void close() {
        base.close();
    }

    static ObjectNode options(String json) {
        try {
            return (ObjectNode) new ObjectMapper().readTree(json.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static ObjectNode sourcesOption(List<Path> dirs) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        dirs.forEach(d -> o.withArray("sources").add(d.toString()));
        return o;
    }

    /** Trains, saves into {@code out} (with provenance) and returns the open model. */
    static TaskModel train(String method, ObjectNode opts, List<Example> data, double lr, int epochs, Path out, long seed) {
        PeftMethod m = PeftMethods.byName(method);
        ObjectNode cfg = m.resolveConfig(base.encoder(), opts);
        TaskModel model = new TaskModel(base, m, cfg, LabelSpace.fromTraining(Task.CLASSIFICATION, data), Pooling.MEAN, seed);
        TrainingConfig tc = TrainingConfig.builder().epochs(epochs).batchSize(8).learningRate(lr)
                .maxLength(16).warmupRatio(0).build();
        new Trainer(model, tc, null, null).train(data, List.of(), false);
        if (out != null) {
            TaskModelFiles.save(model, out);
            Provenance.write(out, Provenance.create("adapter", base.info().id(), "tiny-sha", Map.of(), cfg, seed, Map.of()));
        }
        return model;
    }

    static double accuracy(TaskModel model, List<Example> data) {
        float[][] p = model.predict(data, 16, 32);
        int correct = 0;
        for (int i = 0; i < p.length; i++) {
            int best = 0;
            for (int c = 1; c < p[i].length; c++) {
                best = p[i][c] > p[i][best] ? c : best;
            }
            correct += model.labels().names().get(best).equals(data.get(i).label()) ? 1 : 0;
        }
        return (double) correct / p.length;
    }

    static double mean(float[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"scalearn,0.05", "scalearn-uniform,0.05", "scalearn++,0.05", "scalearn-uniform++,0.05"})
    void scaLearnWeightsTheMatchingSourceAndMatchesItsAccuracy(String method, double lr) {
        double sourceAccuracy;
        try (TaskModel source = TaskModelFiles.load(base, sources.get(0), null)) {
            sourceAccuracy = accuracy(source, TARGET_TEST);
        }
        Path saved = dir.resolve("composed-" + method);
        float[][] before;
        try (TaskModel model = train(method, sourcesOption(sources), TARGET_TRAIN, lr, 40, saved, 7)) {
            double acc = accuracy(model, TARGET_TEST);
            double[] norms = new double[3];
            for (Map.Entry<String, Parameter> e : model.adaptation().parameters().entrySet()) {
                float[] w = e.getValue().getArray().toFloatArray();
                int width = w.length / 3;
                for (int n = 0; n < 3; n++) {
                    norms[n] += mean(w, n * width, (n + 1) * width);
                }
            }
            System.out.printf("%s: source acc %.3f, composed acc %.3f, per-source scale %s%n", method, sourceAccuracy, acc,
                    java.util.Arrays.toString(norms));
            assertTrue(norms[0] > 1.3 * Math.max(norms[1], norms[2]), method + " weights the sentiment source: " + java.util.Arrays.toString(norms));
            // 64 test examples: 0.06 is four examples
            assertTrue(acc >= sourceAccuracy - 0.06, method + " accuracy " + acc + " vs the source's " + sourceAccuracy);
            before = model.predict(TARGET_TEST, 16, 32);
        }
        assertSameAfterReload(method, before, saved);
    }

    /** Saving, then loading the directory onto the same base, predicts exactly the same; the directory is self-contained. */
    static void assertSameAfterReload(String method, float[][] before, Path saved) {
        // (the trained model is closed first: two adaptations hooked into one encoder would both apply)
        for (int i = 0; i < 3 && !method.equals("adapter"); i++) {
            assertTrue(Files.isRegularFile(saved.resolve("sources/" + i + "/adapter_model.safetensors")), "source " + i + " copied");
        }
        try (TaskModel loaded = TaskModelFiles.load(base, saved, null)) {
            assertEquals(method, loaded.method().name());
            float[][] after = loaded.predict(TARGET_TEST, 16, 32);
            for (int i = 0; i < before.length; i++) {
                assertArrayEquals(before[i], after[i], 1e-6f, "save -> load -> predict, example " + i);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"fusion,0.005", "average,0.01"})
    void fusionAndAverageFitAndReloadIdentically(String method, double lr) {
        Path saved = dir.resolve("composed-" + method);
        ObjectNode opts = method.equals("average") ? sourcesOption(sources) : sourcesOption(sources);
        if (method.equals("average")) {
            opts.set("init_from", opts.remove("sources"));
            opts.put("bottleneck_size", 16);
        }
        String name = method.equals("average") ? "adapter" : method;
        float[][] before;
        try (TaskModel model = train(name, opts, TARGET_TRAIN, lr, 20, saved, 7)) {
            double acc = accuracy(model, TARGET_TRAIN);
            assertTrue(acc >= 0.8, method + " fits the target's training set: " + acc);
            before = model.predict(TARGET_TEST, 16, 32);
        }
        assertSameAfterReload(name, before, saved);
    }

    @Test
    void averageStartsFromTheMeanOfTheLibrary() {
        ObjectNode opts = JsonNodeFactory.instance.objectNode();
        sources.forEach(d -> opts.withArray("init_from").add(d.toString()));
        opts.put("bottleneck_size", 16);
        PeftMethod m = PeftMethods.byName("adapter");
        List<Map<String, float[]>> lib = sources.stream().map(AdapterFiles::readAdapterTensors).toList();
        try (TaskModel model = new TaskModel(base, m, m.resolveConfig(base.encoder(), opts),
                LabelSpace.fromTraining(Task.CLASSIFICATION, TARGET_TRAIN), Pooling.MEAN, 1)) {
            for (Map.Entry<String, Parameter> e : model.adaptation().parameters().entrySet()) {
                float[] got = e.getValue().getArray().toFloatArray();
                for (int i = 0; i < got.length; i++) {
                    double want = (lib.get(0).get(e.getKey())[i] + lib.get(1).get(e.getKey())[i] + lib.get(2).get(e.getKey())[i]) / 3.0;
                    assertEquals(want, got[i], 1e-6, e.getKey() + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void refusesSourcesWithOtherSitesOrBaseAndChangedHashes() throws Exception {
        // a Houlsby-placed source (attention and FFN sites) cannot be combined with Pfeiffer-placed ones
        Path houlsby = dir.resolve("houlsby");
        train("adapter", options("{'config': 'houlsby', 'bottleneck_size': 4}"), ToyTasks.topic(16, 4), 0.01, 1, houlsby, 5).close();
        PeftMethod m = PeftMethods.byName("scalearn");
        LabelSpace labels = LabelSpace.fromTraining(Task.CLASSIFICATION, TARGET_TRAIN);
        GraftException sites = assertThrows(GraftException.class, () -> new TaskModel(base, m,
                m.resolveConfig(base.encoder(), sourcesOption(List.of(sources.get(0), houlsby))), labels, Pooling.MEAN, 1).close());
        assertTrue(sites.getMessage().startsWith(houlsby.toString()) && sites.getMessage().contains("sites differ"), sites.getMessage());
        // a source whose provenance names other base weights
        Path other = dir.resolve("other-base");
        Files.createDirectories(other);
        for (String f : List.of(AdapterFiles.CONFIG, AdapterFiles.WEIGHTS, AdapterFiles.TASK)) {
            Files.copy(sources.get(1).resolve(f), other.resolve(f));
        }
        Provenance.write(other, Provenance.create("adapter", "other", "other-sha", Map.of(), Map.of(), 1, Map.of()));
        GraftException baseMismatch = assertThrows(GraftException.class, () -> new TaskModel(base, m,
                m.resolveConfig(base.encoder(), sourcesOption(List.of(sources.get(0), other))), labels, Pooling.MEAN, 1).close());
        assertTrue(baseMismatch.getMessage().startsWith(other.toString()) && baseMismatch.getMessage().contains("base model"), baseMismatch.getMessage());
        GraftException againstBase = assertThrows(GraftException.class, () -> dev.graft.peft.adapter.AdapterLibrary.checkBase(
                Composition.sources(m.resolveConfig(base.encoder(), sourcesOption(List.of(sources.get(0)))), 32), "tiny-bert", "real-sha"));
        assertTrue(againstBase.getMessage().contains("tiny-sha"), againstBase.getMessage());
        // a saved composition whose copied source changed is refused on load
        Path saved = dir.resolve("tampered");
        train("scalearn-uniform", sourcesOption(sources), TARGET_TRAIN, 0.05, 1, saved, 7).close();
        Files.copy(sources.get(1).resolve(AdapterFiles.WEIGHTS), saved.resolve("sources/0/" + AdapterFiles.WEIGHTS),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        GraftException hash = assertThrows(GraftException.class, () -> TaskModelFiles.load(base, saved, null).close());
        assertTrue(hash.getMessage().contains("SHA-256") && hash.getMessage().contains("sources/0"), hash.getMessage());
    }

    @Test
    void transferParametersAreCountedAndScaLearnIsUnderOnePercentOfFusion() {
        LabelSpace labels = LabelSpace.fromTraining(Task.CLASSIFICATION, TARGET_TRAIN);
        // independent counts for N = 3 sources, H = 32, 2 layers with one (FFN) site each
        Map<String, Long> expected = Map.of("scalearn", 3L * 32 * 2, "scalearn-uniform", 3L * 2, "scalearn++", 3L * 32,
                "scalearn-uniform++", 3L, "fusion", 2L * 3 * (32 * 32 + 32));
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            Composition m = (Composition) PeftMethods.byName(e.getKey());
            try (TaskModel model = new TaskModel(base, m, m.resolveConfig(base.encoder(), sourcesOption(sources)), labels, Pooling.MEAN, 1)) {
                long count = model.adaptation().parameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
                assertEquals(e.getValue(), count, e.getKey());
                assertEquals(count, m.transferParameters(3, 32, 2, 2), e.getKey());
            }
        }
        // MiniLM-L6 (H = 384, 6 layers) with 3 sources
        long fusion = PeftMethods.all().stream().filter(p -> p.name().equals("fusion")).map(p -> (Composition) p)
                .findFirst().orElseThrow().transferParameters(3, 384, 6, 6);
        for (String s : List.of("scalearn", "scalearn-uniform", "scalearn++", "scalearn-uniform++")) {
            long n = ((Composition) PeftMethods.byName(s)).transferParameters(3, 384, 6, 6);
            System.out.printf("transfer parameters, MiniLM-L6, 3 sources: %s %d = %.3f%% of fusion's %d%n", s, n, 100.0 * n / fusion, fusion);
            assertTrue(n <= fusion / 100, s);
        }
    }
}
