package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.model.EncoderModel;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.ToyTasks;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code graft compare} on two tiny linear probes of a tiny random BERT, one trained on partly wrong labels. */
class CompareCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    private static Path csv(Path file, List<Example> examples, int corruptEvery) throws Exception {
        StringBuilder sb = new StringBuilder("text,label\n");
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            String label = corruptEvery > 0 && i % corruptEvery == 0 ? (e.label().equals("pos") ? "neg" : "pos") : e.label();
            sb.append(e.text()).append(',').append(label).append('\n');
        }
        return Files.writeString(file, sb);
    }

    private Path probe(Path base, Path train, String name) {
        Path out = dir.resolve(name);
        CliTest.Run tune = CliTest.run("tune", "--model", base.toString(), "--train", train.toString(), "--method", "head",
                "--max-length", "16", "--no-holdout", "--quiet", "--output", out.toString());
        assertEquals(0, tune.code(), tune.err());
        return out;
    }

    @Test
    void reportsAccuraciesFlipRatesPerClassCountsAndTheFlippedExamples() throws Exception {
        Path base = CliTest.tinyModel(dir);
        List<Example> examples = ToyTasks.sentiment(40, 1);
        Path clean = csv(dir.resolve("clean.csv"), examples, 0);
        Path noisy = csv(dir.resolve("noisy.csv"), examples, 3);
        Path data = csv(dir.resolve("test.csv"), ToyTasks.sentiment(30, 7), 0);
        Path oldAdapter = probe(base, clean, "old");
        Path newAdapter = probe(base, noisy, "new");
        Path png = dir.resolve("flips.png");

        CliTest.Run r = CliTest.run("compare", "--old", oldAdapter.toString(), "--new", newAdapter.toString(), "--data",
                data.toString(), "--engine", "pytorch", "--max-batch-tokens", "64", "--json", "--plot", png.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals(30, j.get("examples").asInt());
        assertEquals("adapter", j.at("/old/kind").asText());
        assertEquals(base.toString(), j.at("/old/base_model").asText(), "the base the adapter records");
        assertEquals(List.of("neg", "pos"), JSON.convertValue(j.get("labels"), List.class));
        assertEquals(false, j.get("labels_reordered").asBoolean());
        // each side's accuracy is what graft eval measures for it
        for (String side : new String[] {"old", "new"}) {
            Path adapter = side.equals("old") ? oldAdapter : newAdapter;
            CliTest.Run eval = CliTest.run("eval", "--adapter", adapter.toString(), "--data", data.toString(), "--json");
            assertEquals(0, eval.code(), eval.err());
            assertEquals(JSON.readTree(eval.out()).at("/metrics/accuracy").asDouble(), j.at("/" + side + "/accuracy").asDouble(), 1e-9, side);
        }
        int neg = j.get("negative_flips").asInt();
        int pos = j.get("positive_flips").asInt();
        assertEquals(neg / 30.0, j.get("nfr").asDouble(), 1e-12);
        assertEquals(pos / 30.0, j.get("pfr").asDouble(), 1e-12);
        assertEquals(j.at("/new/accuracy").asDouble() - j.at("/old/accuracy").asDouble(), (pos - neg) / 30.0, 1e-9);
        double agreement = j.get("agreement").asDouble();
        assertTrue(agreement >= 0 && agreement <= 1 - (neg + pos) / 30.0 + 1e-12, "a flip is a disagreement: " + agreement);
        assertTrue(j.has("relative_nfr") && j.has("regression_share"));
        int negSum = 0;
        int posSum = 0;
        int support = 0;
        for (JsonNode c : j.get("per_class")) {
            negSum += c.get("negative_flips").asInt();
            posSum += c.get("positive_flips").asInt();
            support += c.get("examples").asInt();
        }
        assertEquals(List.of(neg, pos, 30), List.of(negSum, posSum, support));
        JsonNode flips = j.get("flips");
        assertEquals(neg + pos, flips.size(), "--json lists every flipped example");
        assertTrue(neg + pos > 0, "a probe fitted on a third of the labels flipped changes some predictions: " + r.out());
        List<String> lines = Files.readAllLines(data);
        for (JsonNode f : flips) {
            String text = lines.get(f.get("index").asInt() + 1).split(",")[0];
            assertEquals(text, f.get("text").asText());
            String gold = f.get("gold").asText();
            boolean negative = f.get("kind").asText().equals("negative");
            assertEquals(negative, f.get("old").asText().equals(gold), f.toString());
            assertEquals(!negative, f.get("new").asText().equals(gold), f.toString());
        }
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "the plot is a PNG");
        assertTrue(image.getWidth() >= 800);

        // text: the headline numbers and the per-class table; --show-flips limits the list
        CliTest.Run text = CliTest.run("compare", "--old", oldAdapter.toString(), "--new", newAdapter.toString(), "--data",
                data.toString(), "--engine", "pytorch", "--show-flips", "1");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("(NFR ") && text.out().contains("(PFR ") && text.out().contains("agreement"), text.out());
        assertTrue(text.out().contains("label  examples  negative  positive"), text.out());
        CliTest.Run one = CliTest.run("compare", "--old", oldAdapter.toString(), "--new", newAdapter.toString(), "--data",
                data.toString(), "--engine", "pytorch", "--show-flips", "1", "--json");
        assertEquals(Math.min(neg, 1) + Math.min(pos, 1), JSON.readTree(one.out()).get("flips").size());
    }

    @Test
    void theTwoSidesMayUseDifferentBaseModels() throws Exception {
        Path base = CliTest.tinyModel(dir);
        Path other = dir.resolve("tiny2");
        try (EncoderModel m = TinyBert.create(dir.resolve("tok2"), 11, 0.2)) {
            m.saveAsHuggingFace(other);
        }
        Path train = csv(dir.resolve("train.csv"), ToyTasks.sentiment(40, 1), 0);
        Path data = csv(dir.resolve("test.csv"), ToyTasks.sentiment(20, 5), 0);
        Path oldAdapter = probe(base, train, "old");
        Path newAdapter = probe(other, train, "new");
        // --new-model names the base the new adapter was trained on (here the one it records anyway)
        CliTest.Run r = CliTest.run("compare", "--old", oldAdapter.toString(), "--new", newAdapter.toString(),
                "--new-model", other.toString(), "--data", data.toString(), "--engine", "pytorch", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals(base.toString(), j.at("/old/base_model").asText());
        assertEquals(other.toString(), j.at("/new/base_model").asText());
        CliTest.Run eval = CliTest.run("eval", "--model", other.toString(), "--adapter", newAdapter.toString(), "--data", data.toString(), "--json");
        assertEquals(JSON.readTree(eval.out()).at("/metrics/accuracy").asDouble(), j.at("/new/accuracy").asDouble(), 1e-9);
    }

    @Test
    void differentLabelSetsAreAOneLineError() throws Exception {
        Path base = CliTest.tinyModel(dir);
        Path old = probe(base, csv(dir.resolve("s.csv"), ToyTasks.sentiment(24, 1), 0), "sentiment");
        Path topic = probe(base, csv(dir.resolve("t.csv"), ToyTasks.topic(24, 1), 0), "topic");
        Path data = csv(dir.resolve("test.csv"), ToyTasks.sentiment(8, 2), 0);
        CliTest.Run r = CliTest.run("compare", "--old", old.toString(), "--new", topic.toString(), "--data", data.toString());
        assertEquals(1, r.code());
        assertEquals("graft: compare: the models have different labels: old " + old + " has [neg, pos], new " + topic
                + " has [animal, colour]; both must classify into the same label names\n", r.err());
        CliTest.Run neg = CliTest.run("compare", "--old", old.toString(), "--new", old.toString(), "--data", data.toString(),
                "--show-flips", "-1");
        assertEquals(2, neg.code(), neg.err());
        CliTest.Run missing = CliTest.run("compare", "--old", dir.resolve("nope").toString(), "--new", old.toString(), "--data", data.toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("graft: " + dir.resolve("nope") + ": no such directory"), missing.err());
    }
}
