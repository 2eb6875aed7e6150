package dev.graft.cli;

import static dev.graft.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** graft carry end to end: a LoRA tuned on one tiny base carried to another, evaluated there; --strict at load. */
class CarryCommandTest {
    @TempDir
    Path dir;

    @Test
    void carryThenEvalOnTheNewBaseAndStrictRefusesTheOldAdapterThere() throws Exception {
        Path a = CliTest.tinyModel(dir);
        Path b = dir.resolve("tiny-b");
        try (EncoderModel m = TinyBert.create(dir.resolve("tok-b"), 4, 0.2)) {
            m.saveAsHuggingFace(b);
        }
        Path same = dir.resolve("tiny-same");
        try (EncoderModel m = TinyBert.create(dir.resolve("tok-same"), 3, 0.2)) {
            m.saveAsHuggingFace(same);
        }
        StringBuilder csv = new StringBuilder("text,label\n");
        StringBuilder txt = new StringBuilder();
        for (Example e : ToyTasks.sentiment(32, 1)) {
            csv.append(e.text()).append(',').append(e.label()).append('\n');
            txt.append(e.text()).append('\n');
        }
        Path data = dir.resolve("d.csv");
        Files.writeString(data, csv);
        Path texts = dir.resolve("u.txt");
        Files.writeString(texts, txt);
        Path src = dir.resolve("lora");
        CliTest.Run tune = run("tune", "--model", a.toString(), "--train", data.toString(), "--method", "lora", "--epochs", "1",
                "--max-length", "16", "--output", src.toString());
        assertEquals(0, tune.code(), tune.err());

        Path out = dir.resolve("carried");
        CliTest.Run carry = run("carry", "--adapter", src.toString(), "--to", b.toString(), "--texts", texts.toString(), "--json",
                "--output", out.toString());
        assertEquals(0, carry.code(), carry.err());
        JsonNode r = new ObjectMapper().readTree(carry.out());
        assertEquals("patch-transfer", r.get("strategy").asText());
        assertEquals("lora", r.get("method").asText());
        assertEquals(a.toString(), r.at("/from/id").asText(), "A as the adapter records it");
        assertEquals("predictions", r.at("/agreement/measure").asText());
        assertEquals(32, r.at("/agreement/texts").asInt());
        assertEquals(0.9, r.at("/agreement/min_agreement").asDouble());
        assertArrayEquals(Files.readAllBytes(src.resolve("adapter_model.safetensors")), Files.readAllBytes(out.resolve("adapter_model.safetensors")));

        // the carried adapter records B: eval needs no --model, and --strict has nothing to refuse
        CliTest.Run eval = run("--strict", "eval", "--adapter", out.toString(), "--data", data.toString(), "--json");
        assertEquals(0, eval.code(), eval.err());
        // the source on B: refused under --strict (global or on the command), naming both bases
        CliTest.Run strict = run("--strict", "eval", "--adapter", src.toString(), "--model", b.toString(), "--data", data.toString());
        assertEquals(1, strict.code(), strict.err());
        assertTrue(strict.err().contains("trained on base '" + a + "'") && strict.err().contains("loaded onto '" + b + "'"), strict.err());
        CliTest.Run strict2 = run("predict", "--strict", "--adapter", src.toString(), "--model", b.toString(), "--input",
                texts.toString(), "--output", dir.resolve("p.jsonl").toString());
        assertEquals(1, strict2.code(), strict2.err());
        assertFalse(Files.exists(dir.resolve("p.jsonl")));
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream logged = new java.io.ByteArrayOutputStream();
        CliTest.Run loose;
        System.setErr(new java.io.PrintStream(logged, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            loose = run("eval", "--adapter", src.toString(), "--model", b.toString(), "--data", data.toString());
        } finally {
            System.setErr(stderr);
        }
        assertEquals(0, loose.code(), "without --strict a warning only: " + loose.err());
        String warning = logged.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(warning.contains("[WARN] " + src + ": trained on base '" + a + "' (weights sha256 ")
                && warning.contains("but loaded onto '" + b + "' (weights sha256 ") && warning.contains("--strict refuses"), warning);
        assertEquals(1, warning.lines().filter(l -> l.contains("trained on base")).count(), "one line: " + warning);

        // an identical base agrees fully, so --require-agreement passes; text output
        CliTest.Run full = run("carry", "--adapter", src.toString(), "--to", same.toString(), "--texts", texts.toString(),
                "--require-agreement", "--min-agreement", "1.0", "--output", dir.resolve("same-out").toString());
        assertEquals(0, full.code(), full.err());
        assertTrue(full.out().contains("agreement 1.0000") && full.out().contains(": ok"), full.out());
        CliTest.Run unchecked = run("carry", "--adapter", src.toString(), "--to", b.toString(), "--output", dir.resolve("u").toString());
        assertEquals(0, unchecked.code(), unchecked.err());
        assertTrue(unchecked.out().contains("agreement not checked (no --texts)"), unchecked.out());

        // texts from a .csv (its label column unused) and from a .jsonl with another text column
        CliTest.Run fromCsv = run("carry", "--adapter", src.toString(), "--to", same.toString(), "--texts", data.toString(),
                "--output", dir.resolve("csv-out").toString());
        assertEquals(0, fromCsv.code(), fromCsv.err());
        assertTrue(fromCsv.out().contains("on 32 texts"), fromCsv.out());
        Path jsonl = dir.resolve("u.jsonl");
        Files.writeString(jsonl, "{\"sentence\": \"a good film\"}\n{\"sentence\": \"a bad film\"}\n");
        CliTest.Run fromJsonl = run("carry", "--adapter", src.toString(), "--to", same.toString(), "--texts", jsonl.toString(),
                "--text-column", "sentence", "--output", dir.resolve("jsonl-out").toString());
        assertEquals(0, fromJsonl.code(), fromJsonl.err());
        assertTrue(fromJsonl.out().contains("on 2 texts"), fromJsonl.out());

        CliTest.Run again = run("carry", "--adapter", src.toString(), "--to", b.toString(), "--output", out.toString());
        assertEquals(1, again.code());
        assertTrue(again.err().contains("not empty"), again.err());
        CliTest.Run noTexts = run("carry", "--adapter", src.toString(), "--to", b.toString(), "--require-agreement",
                "--output", dir.resolve("x").toString());
        assertEquals(2, noTexts.code(), noTexts.err());
        CliTest.Run help = run("help", "carry");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--require-agreement") && help.out().contains("Examples"), help.out());
    }
}
