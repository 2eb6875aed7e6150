package dev.graft.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.runtime.Arrays2;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.Flips;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskHead;
import dev.graft.train.TaskModel;
import dev.graft.tune.ModelRef;
import dev.graft.tune.TaskModelFiles;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two tiny head-only classifiers on a tiny random BERT, compared on a few labelled texts. */
class ComparisonTest {
    private static final int HIDDEN = 32;
    @TempDir
    Path dir;
    private Path base;

    @BeforeEach
    void tinyBase() {
        base = dir.resolve("base");
        try (EncoderModel m = TinyBert.create(dir.resolve("tok"), 3, 0.2)) {
            m.saveAsHuggingFace(base);
        }
    }

    /** A head adapter with labels {@code labels} and head rows drawn from {@code seed}, saved to {@code out}. */
    private Path head(Path out, List<String> labels, long seed) {
        return head(out, labels, randomRows(labels.size(), seed));
    }

    private Path head(Path out, List<String> labels, float[][] rows) {
        PeftMethod head = PeftMethods.byName("head");
        try (EncoderModel enc = EncoderModel.load(base.toString());
             TaskModel model = new TaskModel(enc, head, head.resolveConfig(enc.encoder(), JsonNodeFactory.instance.objectNode()),
                     new LabelSpace(Task.CLASSIFICATION, labels), enc.defaultPooling(), 1)) {
            setHead(model, rows);
            TaskModelFiles.save(model, out, base.toString());
        }
        return out;
    }

    /** [C][H + 1]: each class's weight row, then its bias. */
    private static float[][] randomRows(int classes, long seed) {
        Random r = new Random(seed);
        float[][] rows = new float[classes][HIDDEN + 1];
        for (float[] row : rows) {
            for (int h = 0; h < row.length; h++) {
                row[h] = (float) r.nextGaussian();
            }
        }
        return rows;
    }

    private static void setHead(TaskModel model, float[][] rows) {
        Map<String, Parameter> p = model.head().namedParameters(TaskHead.NAME);
        float[] w = new float[rows.length * HIDDEN];
        float[] b = new float[rows.length];
        for (int c = 0; c < rows.length; c++) {
            System.arraycopy(rows[c], 0, w, c * HIDDEN, HIDDEN);
            b[c] = rows[c][HIDDEN];
        }
        Arrays2.assign(p.get(TaskHead.NAME + ".weight").getArray(), w);
        Arrays2.assign(p.get(TaskHead.NAME + ".bias").getArray(), b);
    }

    private static List<Example> data() {
        List<String> words = TinyBert.WORDS;
        List<String> labels = List.of("neg", "pos", "mid");
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String text = words.get(i % words.size()) + " " + words.get((7 * i + 3) % words.size()) + " " + words.get((11 * i + 5) % words.size());
            out.add(new Example(text, null, labels.get(i % 3), "data:" + (i + 2)));
        }
        return out;
    }

    @Test
    void countsFlipsConsistentlyWithEachModelsOwnPredictions() {
        List<String> labels = List.of("mid", "neg", "pos");
        ModelRef a = ModelRef.of(head(dir.resolve("a"), labels, 1), null, "--old-model");
        ModelRef b = ModelRef.of(head(dir.resolve("b"), labels, 2), null, "--new-model");
        assertEquals(ModelRef.Kind.ADAPTER, a.kind());
        assertEquals(base.toString(), a.baseModel(), "the base the adapter records");
        Comparison.Result r = Comparison.of(a, b).batchSize(4).maxBatchTokens(32).run(data());
        Flips f = r.flips();
        assertEquals(30, f.examples());
        assertEquals(labels, r.classes());
        assertFalse(r.reordered());
        assertTrue(f.negativeFlips() + f.positiveFlips() > 0, "two random heads disagree somewhere: " + f);
        assertEquals(f.newAccuracy() - f.oldAccuracy(), f.positiveFlipRate() - f.negativeFlipRate(), 1e-12);
        List<Comparison.Flip> flipped = r.flipped();
        assertEquals(f.negativeFlips() + f.positiveFlips(), flipped.size());
        for (Comparison.Flip x : flipped) {
            assertEquals(data().get(x.index()), x.example());
            assertEquals(x.negative(), x.oldLabel().equals(x.gold()));
            assertEquals(!x.negative(), x.newLabel().equals(x.gold()));
        }
        // the same predictions whatever the batching
        Comparison.Result again = Comparison.of(a, b).batchSize(64).run(data());
        assertArrayEquals(r.oldPredicted(), again.oldPredicted());
        assertArrayEquals(r.newPredicted(), again.newPredicted());
        // a model compared with itself changes nothing
        Flips self = Comparison.of(a, a).run(data()).flips();
        assertEquals(1.0, self.agreement());
        assertEquals(0, self.negativeFlips() + self.positiveFlips());
    }

    @Test
    void theSameClassifierWithItsLabelsInAnotherOrderIsAlignedByName() {
        float[][] rows = randomRows(3, 5);
        Path old = head(dir.resolve("old"), List.of("mid", "neg", "pos"), rows);
        // the new model lists the labels as pos, mid, neg: its head rows are the old ones in that order
        Path neu = head(dir.resolve("new"), List.of("pos", "mid", "neg"), new float[][] {rows[2], rows[0], rows[1]});
        Comparison.Result r = Comparison.of(ModelRef.of(old, null, "--old-model"), ModelRef.of(neu, null, "--new-model")).run(data());
        assertTrue(r.reordered());
        assertEquals(List.of("mid", "neg", "pos"), r.classes());
        assertEquals(List.of("pos", "mid", "neg"), r.newOrder());
        assertArrayEquals(r.oldPredicted(), r.newPredicted());
        assertEquals(1.0, r.flips().agreement());
        assertEquals(0, r.flips().negativeFlips());
        assertArrayEquals(new int[] {0, 2, 1}, Comparison.alignment(List.of("b", "c", "a"), List.of("b", "a", "c"), "x", "y"));
    }

    @Test
    void differentLabelSetsAreOneLineErrorNamingBothLists() {
        Path old = head(dir.resolve("old"), List.of("mid", "neg", "pos"), 1);
        Path neu = head(dir.resolve("new"), List.of("neg", "pos"), 2);
        GraftException e = assertThrows(GraftException.class,
                () -> Comparison.of(ModelRef.of(old, null, "--old-model"), ModelRef.of(neu, null, "--new-model")).run(data()));
        assertEquals("compare: the models have different labels: old " + old + " has [mid, neg, pos], new " + neu
                + " has [neg, pos]; both must classify into the same label names", e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertThrows(GraftException.class, () -> Comparison.alignment(List.of("a", "b"), List.of("a", "c"), "x", "y"));
        assertThrows(GraftException.class, () -> Comparison.alignment(List.of("a", "a"), List.of("a", "a"), "x", "y"));
    }

    @Test
    void aMergedModelsHeadAndAModelExportedWithItsHeadAreClassifiersToo() throws Exception {
        List<String> labels = List.of("mid", "neg", "pos");
        float[][] rows = randomRows(3, 9);
        Path adapter = head(dir.resolve("adapter"), labels, rows);
        // graft merge's layout: the backbone with heads/<i>-<name>/, each head recording its backbone as ../..
        Path merged = dir.resolve("merged");
        try (EncoderModel m = EncoderModel.load(base.toString())) {
            m.saveAsHuggingFace(merged);
        }
        PeftMethod headMethod = PeftMethods.byName("head");
        try (EncoderModel enc = EncoderModel.load(merged.toString());
             TaskModel model = new TaskModel(enc, headMethod, headMethod.resolveConfig(enc.encoder(), JsonNodeFactory.instance.objectNode()),
                     new LabelSpace(Task.CLASSIFICATION, labels), enc.defaultPooling(), 1)) {
            setHead(model, rows);
            TaskModelFiles.save(model, merged.resolve("heads").resolve("0-adapter"), "../..");
            // graft export --merge's layout: the head's tensors beside the encoder's, and graft_task.json
            Path exported = dir.resolve("exported");
            enc.saveAsHuggingFace(exported, model.head().namedParameters(TaskHead.NAME));
            TaskModelFiles.writeTask(model, exported);
        }
        ModelRef head = ModelRef.of(merged, null, "--new-model");
        assertEquals(ModelRef.Kind.MERGED_HEAD, head.kind());
        assertEquals(merged.toAbsolutePath().normalize().toString(), Path.of(head.baseModel()).toAbsolutePath().normalize().toString());
        ModelRef exported = ModelRef.of(dir.resolve("exported"), null, "--new-model");
        assertEquals(ModelRef.Kind.EXPORTED, exported.kind());
        ModelRef old = ModelRef.of(adapter, null, "--old-model");
        for (ModelRef neu : List.of(head, exported)) {
            Flips f = Comparison.of(old, neu).run(data()).flips();
            assertEquals(1.0, f.agreement(), neu.kind() + ": the same head on the same weights");
        }
        GraftException over = assertThrows(GraftException.class, () -> ModelRef.of(dir.resolve("exported"), "x", "--new-model"));
        assertTrue(over.getMessage().contains("--new-model applies to adapters only"), over.getMessage());
        Files.createDirectories(merged.resolve("heads").resolve("1-other"));
        Files.copy(merged.resolve("heads/0-adapter/adapter_config.json"), merged.resolve("heads/1-other/adapter_config.json"));
        GraftException two = assertThrows(GraftException.class, () -> ModelRef.of(merged, null, "--new-model"));
        assertTrue(two.getMessage().contains("2 heads [heads/0-adapter, heads/1-other]"), two.getMessage());
        GraftException none = assertThrows(GraftException.class, () -> ModelRef.of(dir.resolve("tok"), null, "--old-model"));
        assertTrue(none.getMessage().startsWith(dir.resolve("tok") + ": expected an adapter directory"), none.getMessage());
    }

    @Test
    void thePlotIsAPng() throws Exception {
        Flips f = Flips.of(List.of("a", "b", "c"), new int[] {0, 1, 2, 2}, new int[] {0, 1, 2, 0}, new int[] {1, 1, 0, 2});
        Path png = dir.resolve("plots").resolve("flips.png");
        Files.createDirectories(png.getParent());
        FlipPlot.write(png, f, "old → new");
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, java.util.Arrays.copyOf(bytes, 8));
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "ImageIO reads it");
        assertEquals(800, image.getWidth());
        assertEquals(450, image.getHeight());
    }
}
