package dev.graft.tune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/** --auto: trials judged on the selection data, the better one kept, the search recorded. */
class SearchTest {
    @TempDir
    Path dir;

    @Test
    void learningRatesSpreadByFactorsOfThreeAroundTheCentre() {
        assertArrayEquals(new double[] {1 / 3.0, 1, 3}, Search.multipliers(3), 1e-12);
        assertArrayEquals(new double[] {1 / 9.0, 1 / 3.0, 1, 3, 9}, Search.multipliers(5), 1e-12);
        assertArrayEquals(new double[] {1 / Math.sqrt(3), Math.sqrt(3)}, Search.multipliers(2), 1e-12);
    }

    @Test
    void keepsTheBetterOfTwoConstructedSettings() throws Exception {
        List<Example> data = ToyTasks.sentiment(48, 1);
        Path out = dir.resolve("auto");
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2)) {
            // from a random head: a learning rate too small to move anything, and one that solves the task; keep the second
            Tuning tuning = Tuning.of(base).method("lora").option("r", 4)
                    .option("target_modules", List.of("query", "value", "output.dense"))
                    .train(data).eval(data).epochs(40).batchSize(8).maxLength(16).probeInit(false);
            Search.Result r = Search.of(tuning).learningRates(List.of(1e-9, 5e-3)).extendBudget(false).run(out);
            assertEquals(2, r.trials().size());
            assertEquals(1, r.best(), r.trials().toString());
            assertEquals("accuracy", r.metric());
            assertTrue(r.trials().get(1).score() > r.trials().get(0).score(), r.trials().toString());
            assertEquals(1.0, r.trials().get(1).score(), 1e-9);
            assertEquals("best", r.trials().get(1).outcome());

            // the output holds the winner's adapter, the table, the plot and the search in the provenance
            assertTrue(Files.isRegularFile(out.resolve("search.json")) && Files.size(out.resolve("search.png")) > 0);
            assertFalse(Files.exists(out.resolve(".search-trials")), "the other trials are removed");
            JsonNode prov = new ObjectMapper().readTree(out.resolve(Provenance.FILE).toFile());
            assertEquals(2, prov.at("/search/trials").size(), prov.toString());
            assertEquals(1, prov.at("/search/best").asInt(), prov.toString());
            assertEquals(5e-3, prov.at("/search/trials/1/learningRate").asDouble(), 1e-12);
            assertTrue(prov.toString().contains("0.005"), "the kept run's own config is the winner's: " + prov);
            try (TaskModel loaded = TaskModelFiles.load(base, out)) {
                float[][] p = loaded.predict(data, 16);
                for (int i = 0; i < data.size(); i++) {
                    assertEquals(data.get(i).label(), loaded.labels().names().get(p[i][0] >= p[i][1] ? 0 : 1));
                }
            }
        }
    }

    @Test
    void refusesWhenThereIsNothingToJudgeOn() throws Exception {
        List<Example> few = ToyTasks.sentiment(20, 1); // too few to hold any out, and no --eval
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2)) {
            GraftException e = assertThrows(GraftException.class, () -> Search.of(Tuning.of(base).method("bitfit").train(few)
                    .epochs(1).batchSize(8).maxLength(16)).run(dir.resolve("none")));
            assertTrue(e.getMessage().contains("--auto needs data to judge the trials on"), e.getMessage());
            assertFalse(Files.exists(dir.resolve("none").resolve(".search-trials")));
        }
    }
}
