package dev.graft.train;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import dev.graft.io.tensors.TensorFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A run's files: {@code checkpoint/} (trainable weights, optimizer moments, loop state — enough to resume exactly),
 * {@code best/} (the best weights so far), {@code metrics.jsonl} (one line per evaluation) and {@code training.png}.
 * Every file is written atomically, and state.json last, so a run killed at any moment leaves a consistent
 * checkpoint.
 */
final class Checkpoints {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path runDir;

    Checkpoints(Path runDir) {
        this.runDir = runDir;
    }

    Path dir() {
        return runDir.resolve("checkpoint");
    }

    boolean hasCheckpoint() {
        return Files.isRegularFile(dir().resolve("state.json"));
    }

    void save(Map<String, Parameter> params, AdamW optimizer, Trainer.RunState state) {
        Path d = dir();
        TensorFiles.writeParameters(d.resolve("trainable.safetensors"), params, Map.of("format", "pt"));
        TensorFiles.writeArrays(d.resolve("optimizer.safetensors"), optimizer.state(),
                Map.of("steps", Long.toString(optimizer.steps())));
        Trainer.writeJson(d.resolve("state.json"), state.toJson());
    }

    Trainer.RunState restore(Map<String, Parameter> params, AdamW optimizer, TrainingConfig config) {
        Path d = dir();
        try {
            JsonNode s = JSON.readTree(d.resolve("state.json").toFile());
            Trainer.restore(params, TensorFiles.readAll(d.resolve("trainable.safetensors")));
            Trainer.RunState state = new Trainer.RunState();
            state.updates = s.path("updates").asLong();
            state.epoch = s.path("epoch").asInt();
            state.batchInEpoch = s.path("batch_in_epoch").asInt();
            state.bestValue = s.path("best_value").asDouble(Double.NEGATIVE_INFINITY);
            state.bestStep = s.path("best_step").asLong(-1);
            state.sinceBest = s.path("since_best").asInt();
            state.stopped = s.path("stopped").asBoolean();
            List<Map<String, Object>> history = new ArrayList<>();
            for (JsonNode h : s.path("history")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = JSON.convertValue(h, Map.class);
                history.add(m);
            }
            state.history = history;
            optimizer.restore(TensorFiles.readAll(d.resolve("optimizer.safetensors")), params, state.updates);
            rewriteMetrics(history);
            return state;
        } catch (IOException e) {
            throw new GraftException(d + ": cannot read the checkpoint (" + e.getMessage() + ")", e);
        }
    }

    void saveBest(Map<String, Parameter> params) {
        TensorFiles.writeParameters(runDir.resolve("best").resolve("trainable.safetensors"), params, Map.of("format", "pt"));
    }

    void restoreBest(Map<String, Parameter> params) {
        Trainer.restore(params, TensorFiles.readAll(runDir.resolve("best").resolve("trainable.safetensors")));
    }

    /** Appends one evaluation record to metrics.jsonl. */
    void appendMetrics(Map<String, Object> record) {
        try {
            Files.createDirectories(runDir);
            Files.writeString(runDir.resolve("metrics.jsonl"), JSON.writeValueAsString(record) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new GraftException(runDir.resolve("metrics.jsonl") + ": cannot write (" + e.getMessage() + ")", e);
        }
    }

    /** On resume, metrics.jsonl holds exactly the checkpoint's history (lines after it are dropped). */
    private void rewriteMetrics(List<Map<String, Object>> history) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> h : history) {
            sb.append(JSON.writeValueAsString(h)).append('\n');
        }
        AtomicFiles.writeString(runDir.resolve("metrics.jsonl"), sb.toString());
    }

    void plot(List<Map<String, Object>> history, String metric) {
        TrainingPlot.write(runDir.resolve("training.png"), history, metric);
    }
}
