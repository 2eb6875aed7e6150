package dev.graft.server;

import static dev.graft.server.ServerFixture.assertClose;
import static dev.graft.server.ServerFixture.body;
import static dev.graft.server.ServerFixture.floats;
import static dev.graft.server.ServerFixture.json;
import static dev.graft.server.ServerFixture.normalized;
import static dev.graft.server.ServerFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The real bundled all-minilm-l6-v2 over /v1/embeddings equals the in-process Embedder. */
class GraftServerBundledModelTest {
    @Test
    void openAiEmbeddingsEqualTheEmbedder() {
        List<String> texts = List.of("The quick brown fox jumps over the lazy dog.", "Serving adapters over HTTP",
                "A JVM process, one base model, many adapters.");
        float[][] expected;
        try (EncoderModel m = EncoderModel.load("all-minilm-l6-v2")) {
            expected = new Embedder(m, EmbedOptions.defaults(m).withNormalize(false)).embed(texts);
        }
        ServeConfig config = ServeConfig.defaults("all-minilm-l6-v2").withPort(0);
        try (GraftServer s = GraftServer.start(config)) {
            for (String model : List.of("all-minilm-l6-v2", "sentence-transformers/all-MiniLM-L6-v2")) {
                HttpResponse<String> r = post(s, "/v1/embeddings", body(Map.of("input", texts, "model", model)));
                assertEquals(200, r.statusCode(), r.body());
                JsonNode data = json(r).get("data");
                assertEquals(texts.size(), data.size());
                for (int i = 0; i < texts.size(); i++) {
                    assertEquals(384, data.get(i).get("embedding").size());
                    assertClose(normalized(expected[i]), floats(data.get(i).get("embedding")), model + " " + i);
                }
            }
            HttpResponse<String> one = post(s, "/v1/embeddings", body(Map.of("input", texts.get(1))));
            assertClose(normalized(expected[1]), floats(json(one).get("data").get(0).get("embedding")), "single");
        }
    }
}
