package dev.graft.server;

import static dev.graft.server.ServerFixture.assertClose;
import static dev.graft.server.ServerFixture.body;
import static dev.graft.server.ServerFixture.floats;
import static dev.graft.server.ServerFixture.get;
import static dev.graft.server.ServerFixture.json;
import static dev.graft.server.ServerFixture.normalized;
import static dev.graft.server.ServerFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.train.Example;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** graft serve over real HTTP on an ephemeral port, against in-process results of the same files. */
class GraftServerTest {
    static final List<String> TEXTS = List.of("the cat sat on the mat", "i love java", "a very bad movie",
            "you hate python and the red dog", "green", "the film was not great and the mat was blue");
    static final List<String> ADAPTERS = List.of("lora-a", "lora-b", "ia3-c");

    @TempDir
    static Path root;
    static ServerFixture files;
    static GraftServer server;
    static float[][] base;
    static Map<String, float[][]> predicted = new HashMap<>();
    static float[][] retrieval;

    @BeforeAll
    static void start() {
        files = new ServerFixture(root);
        base = files.baseEmbeddings(TEXTS);
        for (String a : List.of("lora-a", "lora-b", "ia3-c", "prefix-d", "prompt-e")) {
            predicted.put(a, files.predictions(a, ServerFixture.examples(TEXTS)));
        }
        retrieval = files.adapterEmbeddings("ret", TEXTS);
        server = GraftServer.start(config().withLimits(512, 8, 64 * 1024));
    }

    static ServeConfig config() {
        return ServeConfig.defaults(files.base.toString()).withAdapters(files.adapters).withPort(0)
                .withBatching(16384, 32, Duration.ofMillis(5));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void embedMatchesInProcessSingleAndBatched() {
        HttpResponse<String> one = post(server, "/embed", body(Map.of("inputs", TEXTS.get(0), "normalize", false)));
        assertEquals(200, one.statusCode(), one.body());
        assertClose(base[0], floats(json(one).get(0)), "single");
        JsonNode all = json(post(server, "/embed", body(Map.of("inputs", TEXTS))));
        for (int i = 0; i < TEXTS.size(); i++) {
            assertClose(normalized(base[i]), floats(all.get(i)), "normalised " + i);
        }
        JsonNode ret = json(post(server, "/embed", body(Map.of("inputs", TEXTS, "adapter", "ret", "normalize", false))));
        for (int i = 0; i < TEXTS.size(); i++) {
            assertClose(retrieval[i], floats(ret.get(i)), "retrieval adapter " + i);
        }
    }

    @Test
    void openAiEmbeddingsFloatBase64AndDimensions() {
        HttpResponse<String> r = post(server, "/v1/embeddings", body(Map.of("input", TEXTS, "model", "ret")));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertEquals("list", j.get("object").asText());
        assertEquals("ret", j.get("model").asText());
        assertTrue(j.get("usage").get("prompt_tokens").asInt() > TEXTS.size());
        for (int i = 0; i < TEXTS.size(); i++) {
            JsonNode d = j.get("data").get(i);
            assertEquals("embedding", d.get("object").asText());
            assertEquals(i, d.get("index").asInt());
            assertClose(normalized(retrieval[i]), floats(d.get("embedding")), "openai " + i);
        }
        JsonNode b64 = json(post(server, "/v1/embeddings", body(Map.of("input", TEXTS.get(1), "encoding_format", "base64"))));
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(b64.get("data").get(0).get("embedding").asText()))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[bytes.remaining() / 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = bytes.getFloat();
        }
        assertClose(normalized(base[1]), v, "base64");
        JsonNode cut = json(post(server, "/v1/embeddings", body(Map.of("input", TEXTS.get(2), "dimensions", 8))));
        assertClose(normalized(java.util.Arrays.copyOf(base[2], 8)), floats(cut.get("data").get(0).get("embedding")), "dimensions");
        assertEquals(422, post(server, "/v1/embeddings", body(Map.of("input", "a", "dimensions", 33))).statusCode());
        assertEquals(422, post(server, "/v1/embeddings", body(Map.of("input", "a", "encoding_format", "int8"))).statusCode());
    }

    @Test
    void predictMatchesInProcessSortedByScore() {
        for (String a : ADAPTERS) {
            JsonNode single = json(post(server, "/predict", body(Map.of("inputs", TEXTS.get(3), "adapter", a))));
            assertTrue(single.isArray() && single.get(0).isObject(), single.toString());
            checkScores(predicted.get(a)[3], single, a + " single");
            JsonNode batch = json(post(server, "/predict", body(Map.of("inputs", TEXTS, "adapter", a))));
            for (int i = 0; i < TEXTS.size(); i++) {
                checkScores(predicted.get(a)[i], batch.get(i), a + " " + i);
            }
        }
        // pairs, and raw scores whose softmax is the probabilities
        List<Example> pairs = List.of(new Example("the cat", "sat on the mat", null, null), new Example("i love", "java", null, null));
        float[][] expected = files.predictions("lora-a", pairs);
        JsonNode pj = json(post(server, "/predict", body(Map.of("inputs", List.of(List.of("the cat", "sat on the mat"),
                List.of("i love", "java")), "adapter", "lora-a"))));
        checkScores(expected[0], pj.get(0), "pair 0");
        checkScores(expected[1], pj.get(1), "pair 1");
        JsonNode raw = json(post(server, "/predict", body(Map.of("inputs", TEXTS.get(0), "adapter", "lora-a", "raw_scores", true))));
        double[] logits = new double[3];
        double sum = 0;
        for (JsonNode s : raw) {
            logits[ServerFixture.LABELS.indexOf(s.get("label").asText())] = Math.exp(s.get("score").asDouble());
        }
        for (double l : logits) {
            sum += l;
        }
        for (int c = 0; c < 3; c++) {
            assertEquals(predicted.get("lora-a")[0][c], logits[c] / sum, 1e-5);
        }
    }

    private static void checkScores(float[] expected, JsonNode scores, String what) {
        assertEquals(expected.length, scores.size(), what);
        double last = Double.POSITIVE_INFINITY;
        for (JsonNode s : scores) {
            int c = ServerFixture.LABELS.indexOf(s.get("label").asText());
            assertEquals(expected[c], s.get("score").asDouble(), 1e-5, what + " " + s);
            assertTrue(s.get("score").asDouble() <= last, what + ": sorted by score");
            last = s.get("score").asDouble();
        }
    }

    @Test
    void sixteenConcurrentClientsOverThreeAdaptersGetTheirOwnRows() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < 16; c++) {
                final int client = c;
                done.add(pool.submit(() -> {
                    for (int k = 0; k < 4; k++) {
                        int i = (client + k) % TEXTS.size();
                        int j = (client * 3 + k) % TEXTS.size();
                        if ((client + k) % 4 == 3) {
                            JsonNode e = json(post(server, "/embed", body(Map.of("inputs", List.of(TEXTS.get(i), TEXTS.get(j)), "normalize", false))));
                            assertClose(base[i], floats(e.get(0)), "base row " + i);
                            assertClose(base[j], floats(e.get(1)), "base row " + j);
                            continue;
                        }
                        String a = ADAPTERS.get((client + k) % 3);
                        HttpResponse<String> r = post(server, "/predict", body(Map.of("inputs", List.of(TEXTS.get(i), TEXTS.get(j)), "adapter", a)));
                        assertEquals(200, r.statusCode(), r.body());
                        checkScores(predicted.get(a)[i], json(r).get(0), a + " row " + i);
                        checkScores(predicted.get(a)[j], json(r).get(1), a + " row " + j);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        String metrics = get(server, "/metrics", null).body();
        assertTrue(metrics.contains("graft_batch_texts"), metrics);
        assertTrue(metrics.contains("adapter=\"lora-b\""), metrics);
        assertTrue(metrics.contains("graft_http_requests_seconds_count{route=\"/predict\",status=\"200\"}"), metrics);
        assertTrue(metrics.contains("graft_queue_size"), metrics);
        // dynamic batching: concurrent requests of one model shared forward passes
        assertTrue(metric(metrics, "graft_batch_requests_sum") > metric(metrics, "graft_batch_requests_count"), metrics);
    }

    private static double metric(String metrics, String name) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + name + " in\n" + metrics);
    }

    @Test
    void switchingBetweenMethodsOnOneBaseKeepsThemApart() {
        // LoRA and (IA)3 hook dense layers, prefix tuning the attention, prompt tuning the input: each adapter's hooks
        // are on the shared base only for its own batches
        List<String> order = List.of("prefix-d", "lora-a", "prompt-e", "ia3-c", "prefix-d", "prompt-e", "lora-b", "lora-a");
        for (String a : order) {
            JsonNode r = json(post(server, "/predict", body(Map.of("inputs", TEXTS, "adapter", a))));
            for (int i = 0; i < TEXTS.size(); i++) {
                checkScores(predicted.get(a)[i], r.get(i), a + " " + i);
            }
            assertClose(base[4], floats(json(post(server, "/embed", body(Map.of("inputs", TEXTS.get(4), "normalize", false)))).get(0)),
                    "base between adapters");
        }
    }

    @Test
    void chunkedBodyOverTheLimitIs413AndExpiredRequestsAreDropped() throws Exception {
        byte[] big = body(Map.of("inputs", "a".repeat(100_000))).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        HttpRequest chunked = HttpRequest.newBuilder(server.uri().resolve("/embed")).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big))).build();
        assertError(413, ServerFixture.send(chunked));
        try (GraftServer s = GraftServer.start(config().withRequestTimeout(Duration.ZERO))) {
            HttpResponse<String> r = post(s, "/embed", body(Map.of("inputs", "a")));
            assertError(429, r);
            assertTrue(ServerFixture.get(s, "/metrics", null).body().contains("graft_requests_dropped_total{reason=\"deadline\"}"));
        }
    }

    @Test
    void hostileInputGetsItsStatusCode() {
        assertError(400, post(server, "/embed", "{\"inputs\": [\"a\""));
        assertError(400, post(server, "/embed", "[1, 2]"));
        assertError(400, post(server, "/embed", body(Map.of("inputs", 42))));
        assertError(400, post(server, "/embed", body(Map.of("inputs", List.of("a", 3)))));
        assertError(400, post(server, "/embed", body(Map.of("inputs", "a", "normalize", "yes"))));
        assertError(400, post(server, "/v1/embeddings", body(Map.of("input", "a", "dimensions", "8"))));
        assertError(413, post(server, "/embed", body(Map.of("inputs", "a".repeat(100_000)))));
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            many.add("a");
        }
        assertError(413, post(server, "/embed", body(Map.of("inputs", many))));
        assertError(422, post(server, "/embed", body(Map.of("inputs", ""))));
        assertError(422, post(server, "/embed", body(Map.of("inputs", List.of()))));
        assertError(422, post(server, "/embed", body(Map.of("inputs", "a", "adapter", "nope"))));
        for (String evil : List.of("..%2F..%2Fetc", "../../etc/passwd", "%2e%2e%2f%2e%2e%2fetc", "/etc", "..", ".hidden", "a/b")) {
            HttpResponse<String> r = post(server, "/embed", body(Map.of("inputs", "a", "adapter", evil)));
            assertError(422, r);
            assertFalse(r.body().contains(root.toString()), r.body());
        }
        // a symbolic link out of the adapter root is refused even though it leads to a valid adapter
        Path outside = root.resolve("outside-adapter");
        try {
            if (!Files.exists(outside)) {
                copy(files.adapters.resolve("lora-a"), outside);
                Files.createSymbolicLink(files.adapters.resolve("escape"), outside);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        HttpResponse<String> escape = post(server, "/predict", body(Map.of("inputs", "a", "adapter", "escape")));
        assertError(422, escape);
        assertTrue(escape.body().contains("outside"), escape.body());
        // too long: 64 positions in the tiny model
        String longText = "the cat ".repeat(100);
        assertError(422, post(server, "/embed", body(Map.of("inputs", longText))));
        assertEquals(200, post(server, "/embed", body(Map.of("inputs", longText, "truncate", true))).statusCode());
        assertError(422, post(server, "/predict", body(Map.of("inputs", "a"))));
        assertError(422, post(server, "/predict", body(Map.of("inputs", "a", "adapter", "ret"))));
        HttpResponse<String> other = post(server, "/predict", body(Map.of("inputs", "a", "adapter", "other-base")));
        assertError(422, other);
        assertTrue(other.body().contains("some-other-model"), other.body());
        assertFalse(other.body().contains(files.adapters.toString()), other.body());
        assertError(404, get(server, "/nope", null));
        assertError(405, get(server, "/embed", null));
        // and the server still serves
        assertClose(base[0], floats(json(post(server, "/embed", body(Map.of("inputs", TEXTS.get(0), "normalize", false)))).get(0)), "after");
    }

    @Test
    void adapterThatWritesTheBaseIsRefusedAndChangesNothing() {
        checkScores(predicted.get("lora-b")[1], json(post(server, "/predict", body(Map.of("inputs", TEXTS.get(1), "adapter", "lora-b")))), "before");
        HttpResponse<String> r = post(server, "/predict", body(Map.of("inputs", "a", "adapter", "bitfit-x")));
        assertError(422, r);
        assertTrue(r.body().contains("bitfit"), r.body());
        assertClose(base[0], floats(json(post(server, "/embed", body(Map.of("inputs", TEXTS.get(0), "normalize", false)))).get(0)), "base after");
        checkScores(predicted.get("lora-b")[1], json(post(server, "/predict", body(Map.of("inputs", TEXTS.get(1), "adapter", "lora-b")))), "after");
        checkScores(predicted.get("ia3-c")[2], json(post(server, "/predict", body(Map.of("inputs", TEXTS.get(2), "adapter", "ia3-c")))), "other after");
    }

    @Test
    void infoModelsHealthOpenApiAndPage() {
        assertEquals(200, get(server, "/health", null).statusCode());
        JsonNode info = json(get(server, "/info", null));
        assertEquals(32, info.get("hidden_size").asInt());
        assertTrue(info.get("adapters").toString().contains("lora-a"), info.toString());
        post(server, "/embed", body(Map.of("inputs", "a", "adapter", "ret")));
        JsonNode models = json(get(server, "/v1/models", null));
        assertTrue(models.get("data").toString().contains("\"ret\""), models.toString());
        JsonNode api = json(get(server, "/openapi.json", null));
        assertTrue(api.get("openapi").asText().startsWith("3."), api.toString());
        for (String p : List.of("/v1/embeddings", "/embed", "/predict", "/v1/models", "/health", "/info", "/metrics")) {
            assertTrue(api.get("paths").has(p), p);
        }
        HttpResponse<String> page = get(server, "/", null);
        assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("/v1/embeddings") && page.body().contains("/predict"));
        assertFalse(page.body().contains("src=\"http"), "no external assets");
    }

    @Test
    void bearerTokenIsRequiredWhenConfigured() throws Exception {
        try (GraftServer s = GraftServer.start(config().withApiKey("s3cret-key"))) {
            assertEquals(200, get(s, "/health", null).statusCode());
            assertError(401, get(s, "/info", null));
            assertError(401, post(s, "/embed", body(Map.of("inputs", "a"))));
            assertError(401, post(s, "/embed", body(Map.of("inputs", "a")), "wrong"));
            assertError(401, get(s, "/metrics", "s3cret-keyX"));
            HttpResponse<String> ok = post(s, "/embed", body(Map.of("inputs", TEXTS.get(0), "normalize", false)), "s3cret-key");
            assertEquals(200, ok.statusCode());
            assertClose(base[0], floats(json(ok).get(0)), "authorised");
            // a 1 MB single input (under the default 2 MB payload limit): over the token limit, or cut when asked
            String huge = "the cat sat on the mat ".repeat(45_000);
            assertError(422, post(s, "/embed", body(Map.of("inputs", huge)), "s3cret-key"));
            assertEquals(200, post(s, "/embed", body(Map.of("inputs", huge, "truncate", true)), "s3cret-key").statusCode());
        }
    }

    @Test
    void overloadAnswers429AndEveryAcceptedRequestIsRight() throws Exception {
        try (GraftServer s = GraftServer.start(config().withLimits(3, 32, 1 << 20).withBatching(16384, 32, Duration.ofMillis(50)))) {
            List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                HttpRequest r = HttpRequest.newBuilder(s.uri().resolve("/embed")).timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(body(Map.of("inputs", TEXTS.get(i % TEXTS.size()), "normalize", false))))
                        .build();
                all.add(ServerFixture.HTTP.sendAsync(r, HttpResponse.BodyHandlers.ofString()));
            }
            int ok = 0;
            int refused = 0;
            for (int i = 0; i < all.size(); i++) {
                HttpResponse<String> r = all.get(i).get();
                if (r.statusCode() == 429) {
                    refused++;
                    assertEquals("1", r.headers().firstValue("retry-after").orElse(null));
                    assertEquals("overloaded", json(r).get("error_type").asText());
                } else {
                    assertEquals(200, r.statusCode(), r.body());
                    assertClose(base[i % TEXTS.size()], floats(json(r).get(0)), "accepted " + i);
                    ok++;
                }
            }
            assertTrue(refused > 0, "some refused");
            assertTrue(ok > 0, "some accepted");
            assertEquals(200, get(s, "/health", null).statusCode());
        }
    }

    @Test
    void leastRecentlyUsedAdapterIsEvictedAndReloadsIdentically() throws Exception {
        try (GraftServer s = GraftServer.start(config().withAdapterCache(2, List.of("ia3-c")))) {
            assertTrue(s.uri().toString().startsWith("http://127.0.0.1:"));
            String a1 = post(s, "/predict", body(Map.of("inputs", TEXTS, "adapter", "lora-a"))).body();
            post(s, "/predict", body(Map.of("inputs", TEXTS.get(0), "adapter", "lora-b")));  // evicts lora-a (ia3-c pinned)
            JsonNode loaded = json(get(s, "/info", null)).get("loaded_adapters");
            assertEquals("[\"ia3-c\",\"lora-b\"]", loaded.toString());
            String a2 = post(s, "/predict", body(Map.of("inputs", TEXTS, "adapter", "lora-a"))).body(); // evicts lora-b
            assertEquals(a1, a2, "reloaded adapter answers identically");
            assertEquals("[\"ia3-c\",\"lora-a\"]", json(get(s, "/info", null)).get("loaded_adapters").toString());
            JsonNode b = json(post(s, "/predict", body(Map.of("inputs", TEXTS, "adapter", "lora-b"))));
            for (int i = 0; i < TEXTS.size(); i++) {
                checkScores(predicted.get("lora-b")[i], b.get(i), "lora-b reloaded " + i);
            }
        }
    }

    @Test
    void newAdapterDirectoryIsFoundWithoutRestartAndShutdownFinishesInFlight() throws Exception {
        Path extra = root.resolve("adapters").resolve("late");
        GraftServer s = GraftServer.start(config().withBatching(16384, 32, Duration.ofMillis(300)));
        try {
            assertError(422, post(s, "/predict", body(Map.of("inputs", "a", "adapter", "late"))));
            copy(files.adapters.resolve("lora-a"), extra);
            checkScores(predicted.get("lora-a")[0], json(post(s, "/predict", body(Map.of("inputs", TEXTS.get(0), "adapter", "late")))), "late");
            List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                HttpRequest r = HttpRequest.newBuilder(s.uri().resolve("/embed")).timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(body(Map.of("inputs", TEXTS.get(i), "normalize", false)))).build();
                inFlight.add(ServerFixture.HTTP.sendAsync(r, HttpResponse.BodyHandlers.ofString()));
            }
            long until = System.nanoTime() + 5_000_000_000L;
            while (s.inFlight() < 6 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertEquals(6, s.inFlight(), "all six in flight before the stop");
            s.close();
            for (int i = 0; i < 6; i++) {
                HttpResponse<String> r = inFlight.get(i).get();
                assertEquals(200, r.statusCode(), r.body());
                assertClose(base[i], floats(json(r).get(0)), "finished during shutdown " + i);
            }
        } finally {
            s.close();
        }
    }

    private static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    private static void assertError(int status, HttpResponse<String> r) {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode j = json(r);
        assertTrue(j.has("error") && j.has("error_type"), r.body());
        assertFalse(r.body().contains("\tat ") || r.body().contains("Exception"), "no stack trace: " + r.body());
    }
}
