package dev.graft.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.text.TokenizedText;
import dev.graft.train.Task;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code graft serve}: one base model and the adapters under a directory over HTTP, in the wire formats clients
 * already speak — OpenAI's {@code POST /v1/embeddings}, text-embeddings-inference's {@code POST /embed} and
 * {@code POST /predict} — plus {@code GET /v1/models}, {@code /health}, {@code /info}, {@code /metrics} (Prometheus),
 * {@code /openapi.json} and a small page at {@code /}.
 *
 * <p>Built on Jetty 12's core handler API (no servlets): a request's body is read asynchronously, parsed, validated
 * and tokenised on a Jetty thread, then handed to the {@link BatchScheduler}; the answer is written when the compute
 * thread completes the job, from a Jetty thread. Errors are {@code {"error", "error_type"}} with TEI's status codes,
 * one log line each, never a stack trace.
 */
public final class GraftServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GraftServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String VERSION = "0.1.0-SNAPSHOT";

    private final ServeConfig config;
    private final ModelHost host;
    private final BatchScheduler scheduler;
    private final ServerMetrics metrics = new ServerMetrics();
    private final Server server;
    private final ServerConnector connector;
    private final Executor responses;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final byte[] apiKey;
    private volatile boolean closed;

    private GraftServer(ServeConfig config, EncoderModel base) {
        this.config = config;
        this.apiKey = config.apiKey() == null ? null : config.apiKey().getBytes(StandardCharsets.UTF_8);
        this.host = new ModelHost(base, config.model(), config.adapters(), config.maxLoadedAdapters(), config.preload());
        this.scheduler = new BatchScheduler(host, config, metrics);
        metrics.gauges(scheduler::queueSize, inFlight::get, () -> host.loadedAdapters().size());
        QueuedThreadPool pool = new QueuedThreadPool(64, 4);
        pool.setName("graft-http");
        this.responses = pool;
        this.server = new Server(pool);
        org.eclipse.jetty.server.HttpConfiguration http = new org.eclipse.jetty.server.HttpConfiguration();
        http.setSendServerVersion(false);
        this.connector = new ServerConnector(server, 1, 1, new org.eclipse.jetty.server.HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        server.addConnector(connector);
        server.setHandler(new GracefulHandler(new Routes()));
        server.setStopTimeout(30_000);
        server.setStopAtShutdown(false);
    }

    /**
     * Loads the model named by {@code config} and starts serving.
     *
     * @throws GraftException when the model cannot be loaded or the port not bound
     */
    public static GraftServer start(ServeConfig config) {
        EncoderModel base = EncoderModel.load(config.model());
        try {
            return start(config, base);
        } catch (RuntimeException e) {
            base.close();
            throw e;
        }
    }

    /** Serves {@code base} (closed with the server); {@code config.model()} is the name clients use for it. */
    public static GraftServer start(ServeConfig config, EncoderModel base) {
        GraftServer s = new GraftServer(config, base);
        java.util.concurrent.CompletableFuture<Void> ready = new java.util.concurrent.CompletableFuture<>();
        s.scheduler.start(() -> {
            try {
                s.host.preload();
                ready.complete(null);
            } catch (RuntimeException e) {
                ready.completeExceptionally(e);
                throw e;
            }
        });
        try {
            ready.join();
            s.server.start();
        } catch (CompletionException e) {
            s.close();
            Throwable c = e.getCause();
            throw new GraftException("--preload: " + (c instanceof ApiException a ? a.getMessage() : String.valueOf(c)));
        } catch (Exception e) {
            s.close();
            throw new GraftException("cannot listen on " + config.host() + ":" + config.port() + " (" + e.getMessage() + ")", e);
        }
        LOG.info("serving {} on http://{}:{}/", config.model(), config.host(), s.port());
        return s;
    }

    /** The port bound (the actual one when 0 was asked). */
    public int port() {
        return connector.getLocalPort();
    }

    public URI uri() {
        return URI.create("http://" + (config.host().contains(":") ? "[" + config.host() + "]" : config.host()) + ":" + port() + "/");
    }

    /** Requests being handled now (read, queued or computed). */
    int inFlight() {
        return inFlight.get();
    }

    /** Waits until the server stops. */
    public void join() throws InterruptedException {
        server.join();
    }

    /** Graceful stop: no new connections, in-flight requests finished, then the model closed. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("stopping the HTTP server: {}", e.toString());
        }
        try {
            scheduler.shutdown(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        host.close();
        host.base().close();
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** One HTTP exchange. */
    private final class Exchange {
        final Request request;
        final Response response;
        final Callback callback;
        final String route;
        final long start = System.nanoTime();
        boolean counted;

        Exchange(Request request, Response response, Callback callback, String route) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.route = route;
        }

        void send(int status, String contentType, byte[] body) {
            if (counted) {
                inFlight.decrementAndGet();
                counted = false;
            }
            metrics.request(route, status, System.nanoTime() - start);
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, ByteBuffer.wrap(body), callback);
        }

        void json(Object value) {
            try {
                send(200, "application/json", JSON.writeValueAsBytes(value));
            } catch (IOException e) {
                fail(new ApiException(500, "backend", "cannot write the response"));
            }
        }

        void fail(Throwable t) {
            ApiException e = t instanceof ApiException a ? a : t instanceof CompletionException c && c.getCause() instanceof ApiException a2 ? a2 : null;
            if (e == null) {
                LOG.error("{} {}: unexpected {}", request.getMethod(), route, t.toString());
                e = new ApiException(500, "backend", "internal error");
            } else {
                LOG.warn("{} {} -> {} {}: {}", request.getMethod(), route, e.status, e.type, e.getMessage());
            }
            if (e.status == 429) {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            }
            if (e.status == 401) {
                response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
            }
            ObjectNode body = JSON.createObjectNode();
            body.put("error", e.getMessage());
            body.put("error_type", e.type);
            send(e.status, "application/json", body.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    private final class Routes extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = Request.getPathInContext(request);
            String method = request.getMethod();
            String route = switch (path) {
                case "/", "/v1/embeddings", "/embed", "/predict", "/v1/models", "/health", "/info", "/metrics",
                     "/openapi.json" -> path;
                default -> "other";
            };
            Exchange x = new Exchange(request, response, callback, route);
            try {
                if (!path.equals("/health")) {
                    authorize(request);
                }
                switch (method + " " + path) {
                    case "GET /health" -> {
                        if (!scheduler.healthy()) {
                            throw ApiException.unhealthy("the compute thread is not running");
                        }
                        x.send(200, "application/json", "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8));
                    }
                    case "GET /info" -> x.json(info());
                    case "GET /v1/models" -> x.json(models());
                    case "GET /metrics" -> x.send(200, "text/plain; version=0.0.4; charset=utf-8",
                            metrics.scrape().getBytes(StandardCharsets.UTF_8));
                    case "GET /openapi.json" -> x.send(200, "application/json", resource("openapi.json"));
                    case "GET /" -> x.send(200, "text/html; charset=utf-8", resource("index.html"));
                    case "POST /v1/embeddings", "POST /embed", "POST /predict" -> compute(x, path);
                    default -> {
                        boolean known = !route.equals("other");
                        throw new ApiException(known ? 405 : 404, known ? "method_not_allowed" : "not_found",
                                known ? method + " is not allowed on " + path : "no route " + path);
                    }
                }
            } catch (RuntimeException e) {
                x.fail(e);
            }
            return true;
        }
    }

    private void authorize(Request request) {
        if (apiKey == null) {
            return;
        }
        String h = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiException.unauthorized("missing bearer token (Authorization: Bearer <key>)");
        }
        byte[] given = h.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, apiKey)) { // constant time in the key's content
            throw ApiException.unauthorized("wrong bearer token");
        }
    }

    /** Reads the body, parses and tokenises it here, queues the texts, answers when the compute thread is done. */
    private void compute(Exchange x, String path) {
        if (closed) {
            throw ApiException.unhealthy("the server is shutting down");
        }
        if (!scheduler.healthy()) {
            throw ApiException.unhealthy("the compute thread is not running");
        }
        long declared = x.request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        if (declared > config.payloadLimit()) {
            throw ApiException.tooLarge("the body has " + declared + " bytes; the limit is " + config.payloadLimit());
        }
        if (inFlight.incrementAndGet() > config.maxConcurrentRequests()) {
            inFlight.decrementAndGet();
            throw ApiException.overloaded("more than " + config.maxConcurrentRequests() + " concurrent requests");
        }
        x.counted = true;
        int limit = (int) Math.min(Integer.MAX_VALUE - 8, config.payloadLimit());
        Content.Source.asByteArrayAsync(x.request, limit).whenComplete((body, error) -> {
            if (error != null) {
                Throwable c = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                x.fail(c instanceof IllegalArgumentException || String.valueOf(c.getMessage()).toLowerCase().contains("max")
                        ? ApiException.tooLarge("the body is larger than the limit of " + config.payloadLimit() + " bytes")
                        : ApiException.malformed("cannot read the request body"));
                return;
            }
            try {
                JsonNode json = parse(body);
                switch (path) {
                    case "/v1/embeddings" -> openAiEmbeddings(x, json);
                    case "/embed" -> teiEmbed(x, json);
                    default -> teiPredict(x, json);
                }
            } catch (RuntimeException e) {
                x.fail(e);
            }
        });
    }

    private static JsonNode parse(byte[] body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) {
                throw ApiException.malformed("the body must be a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw ApiException.malformed("malformed JSON");
        }
    }

    // ---- routes ------------------------------------------------------------------------------------------------------

    /** A request's target: the base (adapter null) or an adapter and its directory. */
    private record Target(String adapter, Path dir, int maxLength) {
    }

    private Target target(String name) {
        if (name == null || host.isBase(name)) {
            return new Target(null, null, host.baseMaxLength());
        }
        Path dir = host.names().resolve(name);
        String checked = AdapterNames.check(name);
        return new Target(checked, dir, host.facts(dir).maxLength());
    }

    private void openAiEmbeddings(Exchange x, JsonNode json) {
        List<String> texts = strings(json.get("input"), "input");
        String model = optionalString(json, "model");
        String format = optionalString(json, "encoding_format");
        if (format != null && !format.equals("float") && !format.equals("base64")) {
            throw ApiException.validation("encoding_format must be 'float' or 'base64', got '" + format + "'");
        }
        Integer dims = null;
        JsonNode d = json.get("dimensions");
        if (d != null && !d.isNull()) {
            if (!d.canConvertToInt() || !d.isIntegralNumber()) {
                throw ApiException.malformed("dimensions must be an integer");
            }
            dims = d.intValue();
            if (dims < 1 || dims > host.hiddenSize()) {
                throw ApiException.validation("dimensions must be between 1 and " + host.hiddenSize() + " (the model's), got " + dims);
            }
        }
        Target t = target(model);
        List<TokenizedText> tokens = tokenize(texts, null, t.maxLength(), config.autoTruncate());
        Job job = submit(x, new Job(Job.Kind.EMBED, t.adapter(), t.dir(), tokens, false, config.requestTimeout().toNanos()));
        final Integer dimensions = dims;
        final boolean base64 = "base64".equals(format);
        final String modelName = model == null || model.isEmpty() ? host.baseName() : model;
        int promptTokens = tokens.stream().mapToInt(TokenizedText::length).sum();
        answer(x, job, rows -> {
            ObjectNode out = JSON.createObjectNode();
            out.put("object", "list");
            ArrayNode data = out.putArray("data");
            for (int i = 0; i < rows.length; i++) {
                float[] v = normalize(dimensions == null ? rows[i] : java.util.Arrays.copyOf(rows[i], dimensions));
                ObjectNode e = data.addObject();
                e.put("object", "embedding");
                if (base64) {
                    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    for (float f : v) {
                        b.putFloat(f);
                    }
                    e.put("embedding", Base64.getEncoder().encodeToString(b.array()));
                } else {
                    ArrayNode a = e.putArray("embedding");
                    for (float f : v) {
                        a.add(f);
                    }
                }
                e.put("index", i);
            }
            out.put("model", modelName);
            ObjectNode usage = out.putObject("usage");
            usage.put("prompt_tokens", promptTokens);
            usage.put("total_tokens", promptTokens);
            return out;
        });
    }

    private void teiEmbed(Exchange x, JsonNode json) {
        List<String> texts = strings(json.get("inputs"), "inputs");
        boolean normalize = optionalBoolean(json, "normalize", true);
        boolean truncate = optionalBoolean(json, "truncate", config.autoTruncate());
        Target t = target(optionalString(json, "adapter"));
        List<TokenizedText> tokens = tokenize(texts, null, t.maxLength(), truncate);
        Job job = submit(x, new Job(Job.Kind.EMBED, t.adapter(), t.dir(), tokens, false, config.requestTimeout().toNanos()));
        answer(x, job, rows -> {
            ArrayNode out = JSON.createArrayNode();
            for (float[] r : rows) {
                ArrayNode a = out.addArray();
                for (float f : normalize ? normalize(r) : r) {
                    a.add(f);
                }
            }
            return out;
        });
    }

    private void teiPredict(Exchange x, JsonNode json) {
        JsonNode in = json.get("inputs");
        boolean single = in != null && in.isTextual();
        List<String> texts = new ArrayList<>();
        List<String> pairs = new ArrayList<>();
        boolean anyPair = false;
        if (in == null || in.isNull()) {
            throw ApiException.validation("inputs is required");
        } else if (in.isTextual()) {
            texts.add(in.textValue());
            pairs.add(null);
        } else if (in.isArray()) {
            for (JsonNode e : in) {
                if (e.isTextual()) {
                    texts.add(e.textValue());
                    pairs.add(null);
                } else if (e.isArray() && e.size() == 2 && e.get(0).isTextual() && e.get(1).isTextual()) {
                    texts.add(e.get(0).textValue());
                    pairs.add(e.get(1).textValue());
                    anyPair = true;
                } else {
                    throw ApiException.malformed("inputs must be a string, a list of strings or a list of [text, pair] lists");
                }
            }
        } else {
            throw ApiException.malformed("inputs must be a string, a list of strings or a list of [text, pair] lists");
        }
        checkCount(texts);
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i).isEmpty() || (pairs.get(i) != null && pairs.get(i).isEmpty())) {
                throw ApiException.validation("input " + i + " is empty");
            }
        }
        boolean raw = optionalBoolean(json, "raw_scores", false);
        boolean truncate = optionalBoolean(json, "truncate", config.autoTruncate());
        String name = optionalString(json, "adapter");
        if (name == null || host.isBase(name)) {
            throw ApiException.validation("predict needs an adapter with a task head: set \"adapter\"");
        }
        Target t = target(name);
        ModelHost.AdapterFacts facts = host.facts(t.dir());
        if (facts.task() == null || facts.task() == Task.RETRIEVAL) {
            throw ApiException.validation("adapter '" + t.adapter() + "' has no task head (a retrieval adapter): use /embed");
        }
        List<TokenizedText> tokens = tokenize(texts, anyPair ? pairs : null, t.maxLength(), truncate);
        Job job = submit(x, new Job(Job.Kind.PREDICT, t.adapter(), t.dir(), tokens, raw, config.requestTimeout().toNanos()));
        List<String> labels = facts.labels();
        Task task = facts.task();
        answer(x, job, rows -> {
            ArrayNode out = JSON.createArrayNode();
            for (float[] r : rows) {
                List<Integer> order = new ArrayList<>();
                for (int c = 0; c < r.length; c++) {
                    order.add(c);
                }
                order.sort(Comparator.comparingDouble((Integer c) -> -r[c]));
                ArrayNode scores = out.addArray();
                for (int c : order) {
                    ObjectNode s = scores.addObject();
                    s.put("label", task == Task.REGRESSION ? "value" : c < labels.size() ? labels.get(c) : "LABEL_" + c);
                    s.put("score", r[c]);
                }
            }
            return single ? out.get(0) : out;
        });
    }

    // ---- helpers -----------------------------------------------------------------------------------------------------

    private Job submit(Exchange x, Job job) {
        x.request.addFailureListener(t -> job.result.cancel(false)); // the client went away: drop before compute
        scheduler.submit(job);
        return job;
    }

    private void answer(Exchange x, Job job, java.util.function.Function<float[][], Object> render) {
        job.result.whenCompleteAsync((rows, error) -> {
            if (error instanceof java.util.concurrent.CancellationException) { // the client went away: nobody to answer
                if (x.counted) {
                    inFlight.decrementAndGet();
                    x.counted = false;
                }
                metrics.request(x.route, 499, System.nanoTime() - x.start);
                x.callback.failed(error);
                return;
            }
            if (error != null) {
                x.fail(error);
                return;
            }
            try {
                x.response.getHeaders().put("x-queue-time", Long.toString(job.queueNanos / 1_000_000));
                x.response.getHeaders().put("x-inference-time", Long.toString(job.computeNanos / 1_000_000));
                x.response.getHeaders().put("x-compute-time",
                        Long.toString((System.nanoTime() - job.enqueuedNanos) / 1_000_000));
                x.json(render.apply(rows));
            } catch (RuntimeException e) {
                x.fail(e);
            }
        }, responses);
    }

    /** Tokenises on this (HTTP) thread; too long without truncation is 422. */
    private List<TokenizedText> tokenize(List<String> texts, List<String> pairs, int maxLength, boolean truncate) {
        var tokenizer = host.base().tokenizer();
        List<TokenizedText> probe = tokenizer.encodeAll(texts, pairs, maxLength + 1);
        for (int i = 0; i < probe.size(); i++) {
            if (probe.get(i).length() > maxLength) {
                if (!truncate) {
                    throw ApiException.validation("input " + i + " is longer than the model's limit of " + maxLength
                            + " tokens; send \"truncate\": true to cut it");
                }
                return tokenizer.encodeAll(texts, pairs, maxLength);
            }
        }
        return probe;
    }

    private List<String> strings(JsonNode n, String field) {
        List<String> out = new ArrayList<>();
        if (n == null || n.isNull()) {
            throw ApiException.validation(field + " is required");
        }
        if (n.isTextual()) {
            out.add(n.textValue());
        } else if (n.isArray()) {
            for (JsonNode e : n) {
                if (!e.isTextual()) {
                    throw ApiException.malformed(field + " must be a string or a list of strings");
                }
                out.add(e.textValue());
            }
        } else {
            throw ApiException.malformed(field + " must be a string or a list of strings");
        }
        checkCount(out);
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).isEmpty()) {
                throw ApiException.validation(field + " " + i + " is empty");
            }
        }
        return out;
    }

    private void checkCount(List<String> texts) {
        if (texts.isEmpty()) {
            throw ApiException.validation("no inputs");
        }
        if (texts.size() > config.maxClientBatchSize()) {
            throw ApiException.tooLarge(texts.size() + " inputs; the limit is " + config.maxClientBatchSize()
                    + " per request (--max-client-batch-size)");
        }
    }

    private static String optionalString(JsonNode json, String field) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw ApiException.malformed(field + " must be a string");
        }
        return n.textValue();
    }

    private static boolean optionalBoolean(JsonNode json, String field, boolean dflt) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw ApiException.malformed(field + " must be true or false");
        }
        return n.booleanValue();
    }

    /** L2-normalised copy. */
    static float[] normalize(float[] v) {
        double s = 0;
        for (float f : v) {
            s += (double) f * f;
        }
        double n = Math.max(Math.sqrt(s), 1e-12);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] / n);
        }
        return out;
    }

    private ObjectNode info() {
        ObjectNode o = JSON.createObjectNode();
        o.put("model_id", host.baseName());
        o.put("model_type", "embedding");
        o.put("hidden_size", host.hiddenSize());
        o.put("max_input_length", host.baseMaxLength());
        o.put("version", VERSION);
        o.put("max_concurrent_requests", config.maxConcurrentRequests());
        o.put("max_batch_tokens", config.maxBatchTokens());
        o.put("max_batch_requests", config.maxBatchRequests());
        o.put("max_client_batch_size", config.maxClientBatchSize());
        o.put("payload_limit", config.payloadLimit());
        o.put("max_loaded_adapters", config.maxLoadedAdapters());
        ArrayNode av = o.putArray("adapters");
        host.names().list().forEach(av::add);
        ArrayNode loaded = o.putArray("loaded_adapters");
        host.loadedAdapters().forEach(loaded::add);
        return o;
    }

    private ObjectNode models() {
        ObjectNode o = JSON.createObjectNode();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        ObjectNode b = data.addObject();
        b.put("id", host.baseName());
        b.put("object", "model");
        b.put("owned_by", "graft");
        b.put("created", 0);
        for (String a : host.loadedAdapters()) {
            ObjectNode m = data.addObject();
            m.put("id", a);
            m.put("object", "model");
            m.put("owned_by", "graft");
            m.put("created", 0);
            m.put("parent", host.baseName());
        }
        return o;
    }

    private static byte[] resource(String name) {
        try (InputStream in = GraftServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new ApiException(500, "backend", "missing resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new ApiException(500, "backend", "cannot read " + name);
        }
    }
}
