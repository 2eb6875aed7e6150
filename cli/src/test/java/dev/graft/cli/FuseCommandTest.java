package dev.graft.cli;

import static dev.graft.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.io.safetensors.SafetensorsFile;
import dev.graft.train.Example;
import dev.graft.train.ToyTasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** graft fuse end to end: two source adapters from graft tune, a ScaLearn composition, then eval and predict on it. */
class FuseCommandTest {
    @TempDir
    Path dir;

    Path csv(String name, List<Example> examples) throws Exception {
        StringBuilder sb = new StringBuilder("text,label\n");
        examples.forEach(e -> sb.append(e.text()).append(',').append(e.label()).append('\n'));
        Path p = dir.resolve(name);
        Files.writeString(p, sb);
        return p;
    }

    @Test
    void fuseThenEvalAndPredict() throws Exception {
        Path model = CliTest.tinyModel(dir);
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        for (Object[] s : new Object[][] {{a, csv("a.csv", ToyTasks.sentiment(32, 1))}, {b, csv("b.csv", ToyTasks.topic(32, 2))}}) {
            CliTest.Run tune = run("tune", "--model", model.toString(), "--train", s[1].toString(), "--method", "adapter",
                    "--bottleneck", "8", "--epochs", "2", "--max-length", "16", "--output", s[0].toString());
            assertEquals(0, tune.code(), tune.err());
        }
        Path target = csv("t.csv", ToyTasks.sentiment(32, 5));
        Path out = dir.resolve("fused");
        CliTest.Run fuse = run("fuse", "--model", model.toString(), "--sources", a + "," + b, "--train", target.toString(),
                "--method", "scalearn", "--epochs", "2", "--max-length", "16", "--json", "--output", out.toString());
        assertEquals(0, fuse.code(), fuse.err());
        JsonNode summary = new ObjectMapper().readTree(fuse.out());
        assertEquals(2 * 32 * 2, summary.get("method_parameters").asLong(), "2 sources x H 32 x 2 layers");
        JsonNode config = new ObjectMapper().readTree(out.resolve("adapter_config.json").toFile());
        assertEquals("SCALEARN", config.get("peft_type").asText());
        assertEquals("sources/0", config.get("sources").get(0).asText());
        JsonNode prov = new ObjectMapper().readTree(out.resolve("graft_provenance.json").toFile());
        assertEquals(dev.graft.io.Provenance.sha256(a.resolve("adapter_model.safetensors")), prov.get("sources").get(0).get("sha256").asText());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertTrue(f.names().contains("base_model.model.bert.encoder.layer.1.output.scalearn.omega"), f.names().toString());
        }
        CliTest.Run eval = run("eval", "--model", model.toString(), "--adapter", out.toString(), "--data", target.toString(), "--json");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(new ObjectMapper().readTree(eval.out()).get("metrics").has("accuracy"));
        CliTest.Run predict = run("predict", "--model", model.toString(), "--adapter", out.toString(), "--input", target.toString(),
                "--output", dir.resolve("p.jsonl").toString());
        assertEquals(0, predict.code(), predict.err());
        assertEquals(32, Files.readAllLines(dir.resolve("p.jsonl")).size());

        CliTest.Run avg = run("fuse", "--model", model.toString(), "--sources", a + "," + b, "--train", target.toString(),
                "--method", "average", "--epochs", "1", "--max-length", "16", "--output", dir.resolve("avg").toString());
        assertEquals(0, avg.code(), avg.err());
        CliTest.Run wrong = run("fuse", "--model", model.toString(), "--sources", a.toString(), "--train", target.toString(),
                "--method", "lora", "--output", dir.resolve("x").toString());
        assertEquals(1, wrong.code());
        assertTrue(wrong.err().contains("not a composition"), wrong.err());
        CliTest.Run help = run("help", "fuse");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("scalearn-uniform++") && help.out().contains("Examples"), help.out());
    }
}
