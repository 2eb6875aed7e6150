package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `graft rank` and `graft features` on real bundled models and a small two-topic dataset. */
class RankCliTest {
    @TempDir
    Path dir;
    Path data;
    Path holdout;

    @BeforeEach
    void writeData() throws Exception {
        String[] cooking = {"simmer the onions in butter", "bake the bread for forty minutes", "whisk eggs with sugar",
            "season the soup with salt", "roast the chicken with garlic", "chop the carrots finely", "fry the potatoes until golden",
            "knead the dough and let it rise", "grill the fish with lemon", "stir the risotto slowly"};
        String[] computers = {"the server crashed after the update", "install the driver and reboot", "the compiler reports a syntax error",
            "increase the heap size of the JVM", "the disk is full, delete old logs", "configure the firewall rules",
            "the database query is slow", "merge the branch and push", "the laptop does not boot", "restart the network service"};
        List<String> lines = new ArrayList<>(List.of("text,label"));
        List<String> held = new ArrayList<>(List.of("text,label"));
        for (int i = 0; i < cooking.length; i++) {
            (i < 8 ? lines : held).add("\"" + cooking[i] + "\",cooking");
            (i < 8 ? lines : held).add("\"" + computers[i] + "\",computers");
        }
        data = Files.write(dir.resolve("train.csv"), lines);
        holdout = Files.write(dir.resolve("dev.csv"), held);
    }

    @Test
    void ranksModelsAndLayersPicksATeamAndPlots() throws Exception {
        Path png = dir.resolve("rank.png");
        CliTest.Run r = CliTest.run("rank", "--models", "all-minilm-l6-v2,bge-small-zh", "--data", data.toString(),
                "--metrics", "logme,hscore,knn", "--layers", "--team", "2", "--plot", png.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(16, j.get("examples").asInt());
        // per model: the final representation, then embeddings + each layer (MiniLM 6 layers, bge-small-zh 4)
        assertEquals(1 + 7 + 1 + 5, j.get("candidates").size());
        assertEquals(14, j.at("/ranking/logme").size());
        assertEquals(2, j.at("/team/models").size());
        for (JsonNode c : j.get("candidates")) {
            c.get("scores").forEach(s -> assertTrue(Double.isFinite(s.asDouble()), c.toString()));
        }
        assertTrue(Files.size(png) > 1000);

        CliTest.Run text = CliTest.run("rank", "--models", "all-minilm-l6-v2", "--data", data.toString(), "--metrics", "logme");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("estimators"), text.out());
    }

    @Test
    void validationFineTunesEachModelAndCorrelates() throws Exception {
        CliTest.Run r = CliTest.run("rank", "--models", "all-minilm-l6-v2,bge-small-zh", "--data", data.toString(),
                "--metrics", "logme,knn", "--validate", holdout.toString(), "--validate-epochs", "1", "--max-length", "32", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.at("/validation/logme/kendall_tau").isNumber());
        for (JsonNode c : j.get("candidates")) {
            double acc = c.get("fine_tuned_accuracy").asDouble();
            assertTrue(acc >= 0 && acc <= 1);
        }
    }

    @Test
    void adaptersWithAHeadAreRankedWithLeepAndNce() throws Exception {
        Path adapter = dir.resolve("earlier-adapter");
        CliTest.Run tune = CliTest.run("tune", "--model", "all-minilm-l6-v2", "--train", data.toString(), "--epochs", "1",
                "--max-length", "32", "--output", adapter.toString());
        assertEquals(0, tune.code(), tune.err());
        CliTest.Run r = CliTest.run("rank", "--models", "all-minilm-l6-v2", "--adapters", adapter.toString(), "--data",
                holdout.toString(), "--metrics", "logme", "--max-length", "32", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(2, j.get("candidates").size());
        JsonNode a = j.get("candidates").get(1);
        assertTrue(a.at("/scores/leep").asDouble() <= 0, a.toString());
        assertTrue(a.at("/scores/nce").asDouble() <= 0, a.toString());
        assertTrue(j.get("candidates").get(0).at("/scores/leep").isMissingNode(), "plain models have no LEEP");
        assertEquals(1, j.at("/ranking/leep").size());
    }

    @Test
    void featuresExportAndBadInput() throws Exception {
        Path npy = dir.resolve("f.npy");
        CliTest.Run r = CliTest.run("features", "--model", "all-minilm-l6-v2", "--data", data.toString(), "--output", npy.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(128 + 16 * 384 * 4, Files.size(npy));
        assertEquals(128 + 16 * 8, Files.size(dir.resolve("f.labels.npy")));
        Path st = dir.resolve("f.safetensors");
        assertEquals(0, CliTest.run("features", "--model", "all-minilm-l6-v2", "--data", data.toString(), "--layers",
                "--output", st.toString()).code());

        CliTest.Run unknown = CliTest.run("rank", "--models", "all-minilm-l6-v2", "--data", data.toString(), "--metrics", "logmee");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("logmee"), unknown.err());
        Path one = Files.write(dir.resolve("one.csv"), List.of("text,label", "a,x", "b,x"));
        CliTest.Run single = CliTest.run("rank", "--models", "all-minilm-l6-v2", "--data", one.toString());
        assertEquals(1, single.code());
        assertTrue(single.err().contains("single class"), single.err());
    }
}
