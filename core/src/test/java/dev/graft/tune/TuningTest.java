package dev.graft.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.model.EncoderModel;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.TaskModel;
import dev.graft.train.ToyTasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The builder trains from a data file, writes a loadable adapter with provenance, and refuses to overwrite one. */
class TuningTest {
    @TempDir
    Path dir;

    @Test
    void trainsFromAFileAndWritesALoadableAdapter() throws Exception {
        List<Example> data = ToyTasks.sentiment(48, 1);
        Path csv = dir.resolve("train.csv");
        StringBuilder sb = new StringBuilder("text,label\n");
        data.forEach(e -> sb.append(e.text()).append(',').append(e.label()).append('\n'));
        Files.writeString(csv, sb);
        Path out = dir.resolve("adapter");
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2)) {
            Tuning.Result r = Tuning.of(base).method("lora").option("r", 4)
                    .option("target_modules", List.of("query", "value", "output.dense"))
                    .train(csv).eval(csv).epochs(60).batchSize(8).maxLength(16).learningRate(0.005)
                    .run(out);
            assertEquals(1.0, r.metrics().get("accuracy"), 1e-9, r.metrics().toString());
            assertEquals(4, r.methodConfig().get("r").asInt());
            assertTrue(r.trainablePercent() > 0 && r.trainablePercent() < 100);
            JsonNode prov = new ObjectMapper().readTree(out.resolve(Provenance.FILE).toFile());
            assertTrue(prov.toString().contains("train.csv"), "provenance names the data file: " + prov);

            try (TaskModel loaded = TaskModelFiles.load(base, out, null)) {
                float[][] p = loaded.predict(data, 16, 16);
                for (int i = 0; i < data.size(); i++) {
                    int argmax = p[i][0] >= p[i][1] ? 0 : 1;
                    assertEquals(data.get(i).label(), loaded.labels().names().get(argmax));
                }
            }
            GraftException again = assertThrows(GraftException.class,
                    () -> Tuning.of(base).train(csv).run(out));
            assertTrue(again.getMessage().contains("already holds an adapter"), again.getMessage());
            GraftException empty = assertThrows(GraftException.class, () -> Tuning.of(base).run(dir.resolve("x")));
            assertTrue(empty.getMessage().contains("no training data"));
        }
    }
}
