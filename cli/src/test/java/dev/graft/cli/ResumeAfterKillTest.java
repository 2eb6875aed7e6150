package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.io.tensors.TensorFiles;
import dev.graft.model.EncoderModel;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.ToyTasks;
import dev.graft.train.Trainer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training run halted hard (no shutdown hooks, as SIGKILL) and resumed with --resume ends with exactly the weights
 * and metrics of an uninterrupted run. The CLI runs in child JVMs so the halt ends a real process; the trainer's
 * testing hook halts it right after a chosen update's checkpoint, so the test does not race a kill against the clock.
 */
class ResumeAfterKillTest {
    @TempDir
    Path dir;

    /**
     * The update after whose checkpoint the first run halts: a checkpoint is written every 4 updates, and 64 is
     * mid-run (240 updates in all) and mid-epoch (6 updates per epoch).
     */
    private static final long HALT_AT = 64;

    /** Runs the CLI in a child JVM; {@code haltAt} > 0 halts it right after that update's checkpoint. */
    private Process start(Path model, Path data, Path out, boolean resume, long haltAt) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Dai.djl.offline=true", "-D" + Trainer.HALT_AFTER_UPDATE + "=" + haltAt,
                "-cp", System.getProperty("java.class.path"), GraftCli.class.getName(),
                "--threads", "1", "tune", "--model", model.toString(), "--train", data.toString(), "--eval", data.toString(),
                "--method", "lora", "--option", "target_modules=[\"query\",\"value\",\"output.dense\"]", "--epochs", "40",
                "--batch-size", "8", "--lr", "0.005", "--max-length", "16", "--eval-every", "4", "--json", "--output", out.toString()));
        if (resume) {
            cmd.add("--resume");
        }
        return new ProcessBuilder(cmd).redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    @Test
    void killedRunResumesToTheSameResult() throws Exception {
        Path model = dir.resolve("model");
        try (EncoderModel tiny = TinyBert.create(dir.resolve("tok"), 11, 0.2)) {
            tiny.saveAsHuggingFace(model);
        }
        Path data = dir.resolve("train.csv");
        StringBuilder csv = new StringBuilder("text,label\n");
        for (Example e : ToyTasks.sentiment(48, 1)) {
            csv.append(e.text()).append(',').append(e.label()).append('\n');
        }
        Files.writeString(data, csv);

        Path straight = dir.resolve("straight");
        Process a = start(model, data, straight, false, -1);
        String resultA = new String(a.getInputStream().readAllBytes());
        assertTrue(a.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, a.exitValue(), resultA);

        Path killed = dir.resolve("killed");
        Process b = start(model, data, killed, false, HALT_AT);
        b.getInputStream().readAllBytes();
        assertTrue(b.waitFor(5, TimeUnit.MINUTES));
        assertEquals(Trainer.HALT_EXIT_CODE, b.exitValue(), "halted by the testing hook, as a kill would");
        ObjectMapper json = new ObjectMapper();
        Path state = killed.resolve("checkpoint").resolve("state.json");
        assertEquals(HALT_AT, json.readTree(state.toFile()).path("updates").asLong(), "checkpoint of the halting update");
        assertFalse(Files.exists(killed.resolve("adapter_model.safetensors")), "halted before the end");

        Process c = start(model, data, killed, true, -1);
        String resultC = new String(c.getInputStream().readAllBytes());
        assertTrue(c.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, c.exitValue(), resultC);

        JsonNode ja = json.readTree(resultA);
        JsonNode jc = json.readTree(resultC);
        assertEquals(ja.get("metrics"), jc.get("metrics"), "same final metrics");
        assertEquals(ja.get("best_step"), jc.get("best_step"));
        Map<String, float[]> wa = TensorFiles.readAll(straight.resolve("adapter_model.safetensors"));
        Map<String, float[]> wc = TensorFiles.readAll(killed.resolve("adapter_model.safetensors"));
        assertEquals(wa.keySet(), wc.keySet());
        for (String k : wa.keySet()) {
            assertArrayEquals(wa.get(k), wc.get(k), k);
        }
        assertEquals(Files.readAllLines(straight.resolve("metrics.jsonl")).size(),
                Files.readAllLines(killed.resolve("metrics.jsonl")).size(), "metrics.jsonl has each evaluation once");
        assertTrue(new File(killed.resolve("training.png").toString()).length() > 1000, "plot written");
    }
}
