package dev.graft.cli;

import static dev.graft.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.model.EncoderModel;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.ToyTasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * graft distill, graft carry --distill and graft tune --reference end to end on tiny models: a teacher trained with
 * labels, a student on another vocabulary learning from texts alone; what is written and refused.
 */
class DistillCommandTest {
    @TempDir
    Path dir;

    @Test
    void distilCarryAndReferenceFromTheCommandLine() throws Exception {
        Path a = CliTest.tinyModel(dir);
        Path other = dir.resolve("tiny-other-vocab");
        List<String> words = new ArrayList<>(List.of("house", "tree"));
        List<String> reversed = new ArrayList<>(TinyBert.WORDS);
        Collections.reverse(reversed);
        words.addAll(reversed);
        try (EncoderModel m = TinyBert.create(dir.resolve("tok-o"), 4, 0.2, words)) {
            m.saveAsHuggingFace(other);
        }
        StringBuilder csv = new StringBuilder("text,label\n");
        StringBuilder txt = new StringBuilder();
        for (Example e : ToyTasks.sentiment(40, 1)) {
            csv.append(e.text()).append(',').append(e.label()).append('\n');
            txt.append(e.text()).append('\n');
        }
        Path data = dir.resolve("d.csv");
        Files.writeString(data, csv);
        Path texts = dir.resolve("u.txt");
        Files.writeString(texts, txt);
        Path teacher = dir.resolve("teacher");
        CliTest.Run tune = run("tune", "--model", a.toString(), "--train", data.toString(), "--epochs", "2",
                "--max-length", "16", "--output", teacher.toString());
        assertEquals(0, tune.code(), tune.err());

        // distil without labels into a student with another vocabulary
        Path student = dir.resolve("student");
        CliTest.Run d = run("distill", "--teacher", teacher.toString(), "--model", other.toString(), "--unlabeled",
                texts.toString(), "--epochs", "2", "--max-length", "16", "--json", "--output", student.toString());
        assertEquals(0, d.code(), d.err());
        JsonNode r = new ObjectMapper().readTree(d.out());
        assertEquals("lora", r.get("method").asText());
        JsonNode prov = new ObjectMapper().readTree(student.resolve("graft_provenance.json").toFile());
        assertEquals(40, prov.at("/distillation/transfer_data/unlabelled_examples").asInt());
        assertEquals(64, prov.at("/distillation/transfer_data/unlabelled/sha256").asText().length());
        CliTest.Run eval = run("eval", "--adapter", student.toString(), "--data", data.toString(), "--json");
        assertEquals(0, eval.code(), eval.err());

        // an output that exists and is not empty is refused before any work; nothing is written on failure
        CliTest.Run again = run("distill", "--teacher", teacher.toString(), "--model", other.toString(), "--unlabeled",
                texts.toString(), "--output", student.toString());
        assertEquals(1, again.code());
        assertTrue(again.err().contains("already exists and is not empty"), again.err());
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "");
        Path failed = dir.resolve("failed");
        CliTest.Run none = run("distill", "--teacher", teacher.toString(), "--model", other.toString(), "--unlabeled",
                empty.toString(), "--output", failed.toString());
        assertEquals(1, none.code());
        assertTrue(none.err().contains("empty.txt"), none.err());
        assertFalse(Files.exists(failed));

        // carry --distill: the same through carry, with texts chosen from a pool by seeds
        Path pool = dir.resolve("pool.txt");
        StringBuilder p = new StringBuilder(txt);
        for (Example e : ToyTasks.language(40, 3)) {
            p.append(e.text()).append('\n');
        }
        Files.writeString(pool, p);
        Path seeds = dir.resolve("seeds.txt");
        Files.writeString(seeds, String.join("\n", txt.toString().lines().limit(6).toList()) + "\n");
        Path carried = dir.resolve("carried");
        CliTest.Run c = run("carry", "--adapter", teacher.toString(), "--to", other.toString(), "--distill",
                "--filter-pool", pool.toString(), "--seeds", seeds.toString(), "--keep", "30", "--json",
                "--output", carried.toString());
        assertEquals(0, c.code(), c.err());
        JsonNode cr = new ObjectMapper().readTree(c.out());
        assertEquals("distillation", cr.get("strategy").asText());
        assertEquals(30, cr.get("transfer_texts").asInt());
        JsonNode cprov = new ObjectMapper().readTree(carried.resolve("graft_provenance.json").toFile());
        assertEquals(30, cprov.at("/distillation/transfer_data/kept_from_pool").asInt());

        // positive-congruent training: tune with --reference records the focal weights
        Path pct = dir.resolve("pct");
        CliTest.Run ref = run("tune", "--model", a.toString(), "--train", data.toString(), "--epochs", "1",
                "--max-length", "16", "--reference", teacher.toString(), "--focal-beta", "4", "--output", pct.toString());
        assertEquals(0, ref.code(), ref.err());
        JsonNode pprov = new ObjectMapper().readTree(pct.resolve("graft_provenance.json").toFile());
        assertEquals(4.0, pprov.at("/distillation/focal_beta").asDouble());
        assertEquals(0.5, pprov.at("/distillation/alpha").asDouble(), "labels and the old model weigh the same");
    }
}
