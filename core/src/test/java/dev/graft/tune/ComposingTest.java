package dev.graft.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.model.EncoderModel;
import dev.graft.peft.AdapterFiles;
import dev.graft.testing.TinyBert;
import dev.graft.train.ToyTasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transfer from trained adapters through {@link Tuning#sources}: a ScaLearn composition of two tiny source adapters
 * records the sources, an average (MHR-μ) takes their width, and a source naming another base model is refused.
 */
class ComposingTest {
    @TempDir
    Path dir;

    @Test
    void composesSourcesRecordsThemAndChecksTheirBase() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2)) {
            Tuning.of(base).method("adapter").option("bottleneck_size", 8).train(ToyTasks.sentiment(32, 1))
                    .epochs(1).maxLength(16).run(a);
            Tuning.of(base).method("adapter").option("bottleneck_size", 8).train(ToyTasks.topic(32, 2))
                    .epochs(1).maxLength(16).run(b);

            Tuning.Result r = Tuning.of(base).sources(List.of(a, b)).train(ToyTasks.sentiment(32, 5))
                    .epochs(1).maxLength(16).run(dir.resolve("fused"));
            assertEquals("scalearn", r.method(), "scalearn unless another composition is named");
            assertEquals(2 * 32 * 2, r.methodParameters(), "2 sources x H 32 x 2 layers");
            assertEquals(1e-2, r.config().learningRate(), "the composition's default learning rate");
            JsonNode prov = new ObjectMapper().readTree(dir.resolve("fused").resolve(Provenance.FILE).toFile());
            assertEquals(Provenance.sha256(a.resolve(AdapterFiles.WEIGHTS)), prov.get("sources").get(0).get("sha256").asText());

            Tuning.Result avg = Tuning.of(base).sources(List.of(a, b)).method("average").train(ToyTasks.sentiment(32, 5))
                    .epochs(1).maxLength(16).run(dir.resolve("avg"));
            assertEquals("adapter", avg.method());
            assertEquals(8, avg.methodConfig().get("bottleneck_size").asInt(), "the sources' width");

            GraftException lora = assertThrows(GraftException.class, () -> Tuning.of(base).sources(List.of(a)).method("lora")
                    .train(ToyTasks.sentiment(32, 5)).run(dir.resolve("x")));
            assertTrue(lora.getMessage().contains("not a composition"), lora.getMessage());

            // a source that names another base model (the tiny model has no weights file, so its id decides)
            Path foreign = dir.resolve("foreign");
            Files.createDirectories(foreign);
            try (Stream<Path> files = Files.list(a)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    Files.copy(f, foreign.resolve(f.getFileName()));
                }
            }
            ObjectNode config = (ObjectNode) new ObjectMapper().readTree(foreign.resolve(AdapterFiles.CONFIG).toFile());
            config.put("base_model_name_or_path", "another-model");
            new ObjectMapper().writeValue(foreign.resolve(AdapterFiles.CONFIG).toFile(), config);
            GraftException other = assertThrows(GraftException.class, () -> Tuning.of(base).sources(List.of(a, foreign))
                    .train(ToyTasks.sentiment(32, 5)).run(dir.resolve("y")));
            assertTrue(other.getMessage().contains("trained on base model"), other.getMessage());
        }
    }
}
