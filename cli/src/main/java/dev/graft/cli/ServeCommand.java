package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.server.GraftServer;
import dev.graft.server.ServeConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "serve", description = "Serve a model and its adapters over HTTP (OpenAI /v1/embeddings, TEI /embed and /predict).",
        footer = {"", "Routes: POST /v1/embeddings, /embed, /predict; GET /v1/models, /health, /info, /metrics, /openapi.json, /",
            "", "Examples:", "  graft serve --model all-minilm-l6-v2 --adapters ./adapters --port 8080",
            "  curl -s localhost:8080/v1/embeddings -H 'Content-Type: application/json' -d '{\"input\": \"hello\", \"model\": \"my-adapter\"}'"})
final class ServeCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "Bundled model id or HF model directory: the one base model.")
    String model;

    @Option(names = "--adapters", paramLabel = "DIR", description = "Adapter root: each sub-directory is an adapter, addressed by its name (loaded on first use).")
    Path adapters;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind. Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port (0: any free one). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--api-key-file", paramLabel = "FILE", description = "A file holding the bearer token every route but /health requires.")
    Path apiKeyFile;

    @Option(names = "--max-batch-tokens", defaultValue = "16384", description = "Most tokens in one batch formed across requests. Default: ${DEFAULT-VALUE}.")
    int maxBatchTokens;

    @Option(names = "--max-batch-requests", defaultValue = "32", description = "Most requests in one batch. Default: ${DEFAULT-VALUE}.")
    int maxBatchRequests;

    @Option(names = "--max-wait", defaultValue = "2ms", paramLabel = "DURATION", description = "Longest wait for more requests to join a batch (e.g. 2ms, 1s). Default: ${DEFAULT-VALUE}.")
    String maxWait;

    @Option(names = "--max-concurrent-requests", defaultValue = "512", description = "Requests in flight beyond this get 429. Default: ${DEFAULT-VALUE}.")
    int maxConcurrentRequests;

    @Option(names = "--max-client-batch-size", defaultValue = "32", description = "Most inputs per request (more: 413). Default: ${DEFAULT-VALUE}.")
    int maxClientBatchSize;

    @Option(names = "--payload-limit", defaultValue = "2MB", paramLabel = "SIZE", description = "Largest request body (e.g. 2MB, 512KB). Default: ${DEFAULT-VALUE}.")
    String payloadLimit;

    @Option(names = "--max-loaded-adapters", defaultValue = "16", description = "Adapters kept loaded (least recently used evicted). Default: ${DEFAULT-VALUE}.")
    int maxLoadedAdapters;

    @Option(names = "--preload", split = ",", paramLabel = "NAME", description = "Adapters loaded at start and never evicted (comma-separated).")
    List<String> preload;

    @Option(names = "--auto-truncate", description = "Truncate inputs over the model's token limit unless a request says otherwise (default: 422).")
    boolean autoTruncate;

    @Option(names = "--request-timeout", defaultValue = "60s", paramLabel = "DURATION", description = "A request still queued after this is dropped (429). Default: ${DEFAULT-VALUE}.")
    String requestTimeout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        GraftServer server = GraftServer.start(config());
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "graft-serve-shutdown")); // SIGTERM: graceful
        spec.commandLine().getOut().println("graft serve: " + model + " on " + server.uri()
                + (adapters == null ? "" : " with adapters from " + adapters) + " (Ctrl-C or SIGTERM stops it)");
        spec.commandLine().getOut().flush();
        server.join();
        return 0;
    }

    ServeConfig config() {
        String key = null;
        if (apiKeyFile != null) {
            try {
                key = Files.readString(apiKeyFile, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new GraftException("--api-key-file " + apiKeyFile + ": cannot read it (" + e.getMessage() + ")");
            }
            if (key.isEmpty()) {
                throw new GraftException("--api-key-file " + apiKeyFile + " is empty");
            }
        }
        return new ServeConfig(model, adapters, host, port, key, maxBatchTokens, maxBatchRequests,
                duration("--max-wait", maxWait), maxConcurrentRequests, maxClientBatchSize, bytes("--payload-limit", payloadLimit),
                maxLoadedAdapters, preload, autoTruncate, duration("--request-timeout", requestTimeout));
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|us)?");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|kib|mb|mib|gb|gib|k|m|g)?");

    /** {@code 2ms}, {@code 500us}, {@code 1s}, {@code 2m}; a bare number is milliseconds. */
    static Duration duration(String flag, String s) {
        Matcher m = DURATION.matcher(s.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new GraftException(flag + ": expected a duration such as 2ms, 1s or 2m, got '" + s + "'");
        }
        long v = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        return switch (unit) {
            case "us" -> Duration.ofNanos(v * 1000);
            case "s" -> Duration.ofSeconds(v);
            case "m" -> Duration.ofMinutes(v);
            default -> Duration.ofMillis(v);
        };
    }

    /** {@code 2MB} (2 × 1024 × 1024, as TEI counts), {@code 512KB}, {@code 1000} bytes. */
    static long bytes(String flag, String s) {
        Matcher m = SIZE.matcher(s.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new GraftException(flag + ": expected a size such as 2MB or 512KB, got '" + s + "'");
        }
        long v = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        return switch (unit.charAt(0)) {
            case 'k' -> v * 1024;
            case 'm' -> v * 1024 * 1024;
            case 'g' -> v * 1024 * 1024 * 1024;
            default -> v;
        };
    }
}
