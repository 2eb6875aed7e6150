package dev.graft.server;

import dev.graft.GraftException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What {@code graft serve} was asked to do. Defaults follow text-embeddings-inference where it has the knob.
 *
 * @param model                 the base model: a bundled id or a Hugging Face model directory
 * @param adapters              the adapter root (each sub-directory is an adapter named by its directory), or null
 * @param host                  the address to bind (127.0.0.1 unless told otherwise)
 * @param port                  the port; 0 picks a free one
 * @param apiKey                the bearer token every route but /health needs, or null for none
 * @param maxBatchTokens        the most tokens one formed batch holds (TEI's main knob), and the padded tokens per
 *                              forward pass
 * @param maxBatchRequests      the most requests one formed batch holds
 * @param maxWait               how long the compute thread waits for more requests to join a batch
 * @param maxConcurrentRequests requests in flight beyond this are refused with 429 (TEI refuses, it does not queue)
 * @param maxClientBatchSize    the most inputs one request may carry (more: 413)
 * @param payloadLimit          the largest request body in bytes (more: 413)
 * @param maxLoadedAdapters     adapters kept loaded at once (least recently used evicted; preloaded ones pinned)
 * @param preload               adapters loaded at start and never evicted
 * @param autoTruncate          truncate inputs longer than the model's limit when the request does not say
 * @param requestTimeout        a request still queued after this long is dropped (429)
 */
public record ServeConfig(String model, Path adapters, String host, int port, String apiKey, int maxBatchTokens,
                          int maxBatchRequests, Duration maxWait, int maxConcurrentRequests, int maxClientBatchSize,
                          long payloadLimit, int maxLoadedAdapters, List<String> preload, boolean autoTruncate,
                          Duration requestTimeout) {
    public ServeConfig {
        if (model == null || model.isBlank()) {
            throw new GraftException("--model is required");
        }
        positive("--max-batch-tokens", maxBatchTokens);
        positive("--max-batch-requests", maxBatchRequests);
        positive("--max-concurrent-requests", maxConcurrentRequests);
        positive("--max-client-batch-size", maxClientBatchSize);
        positive("--max-loaded-adapters", maxLoadedAdapters);
        if (payloadLimit < 1) {
            throw new GraftException("--payload-limit must be positive, got " + payloadLimit);
        }
        if (port < 0 || port > 65535) {
            throw new GraftException("--port must be 0..65535, got " + port);
        }
        if (maxWait == null || maxWait.isNegative()) {
            throw new GraftException("--max-wait must be ≥ 0");
        }
        preload = preload == null ? List.of() : List.copyOf(preload);
        if (preload.size() > maxLoadedAdapters) {
            throw new GraftException("--preload names " + preload.size() + " adapters but --max-loaded-adapters is "
                    + maxLoadedAdapters);
        }
        if (!preload.isEmpty() && adapters == null) {
            throw new GraftException("--preload needs --adapters");
        }
        host = host == null ? "127.0.0.1" : host;
        requestTimeout = requestTimeout == null ? Duration.ofSeconds(60) : requestTimeout;
    }

    private static void positive(String flag, int v) {
        if (v < 1) {
            throw new GraftException(flag + " must be ≥ 1, got " + v);
        }
    }

    /** TEI's defaults for {@code model}: 127.0.0.1:8080, 16384 batch tokens, 32 requests, 2 ms, 512, 32, 2 MB. */
    public static ServeConfig defaults(String model) {
        return new ServeConfig(model, null, "127.0.0.1", 8080, null, 16384, 32, Duration.ofMillis(2), 512, 32,
                2L * 1024 * 1024, 16, List.of(), false, Duration.ofSeconds(60));
    }

    public ServeConfig withAdapters(Path dir) {
        return new ServeConfig(model, dir, host, port, apiKey, maxBatchTokens, maxBatchRequests, maxWait,
                maxConcurrentRequests, maxClientBatchSize, payloadLimit, maxLoadedAdapters, preload, autoTruncate, requestTimeout);
    }

    public ServeConfig withPort(int p) {
        return new ServeConfig(model, adapters, host, p, apiKey, maxBatchTokens, maxBatchRequests, maxWait,
                maxConcurrentRequests, maxClientBatchSize, payloadLimit, maxLoadedAdapters, preload, autoTruncate, requestTimeout);
    }

    public ServeConfig withApiKey(String key) {
        return new ServeConfig(model, adapters, host, port, key, maxBatchTokens, maxBatchRequests, maxWait,
                maxConcurrentRequests, maxClientBatchSize, payloadLimit, maxLoadedAdapters, preload, autoTruncate, requestTimeout);
    }

    public ServeConfig withLimits(int maxConcurrent, int maxClientBatch, long payload) {
        return new ServeConfig(model, adapters, host, port, apiKey, maxBatchTokens, maxBatchRequests, maxWait,
                maxConcurrent, maxClientBatch, payload, maxLoadedAdapters, preload, autoTruncate, requestTimeout);
    }

    public ServeConfig withAdapterCache(int maxLoaded, List<String> pinned) {
        return new ServeConfig(model, adapters, host, port, apiKey, maxBatchTokens, maxBatchRequests, maxWait,
                maxConcurrentRequests, maxClientBatchSize, payloadLimit, maxLoaded, pinned, autoTruncate, requestTimeout);
    }

    public ServeConfig withRequestTimeout(Duration timeout) {
        return new ServeConfig(model, adapters, host, port, apiKey, maxBatchTokens, maxBatchRequests, maxWait,
                maxConcurrentRequests, maxClientBatchSize, payloadLimit, maxLoadedAdapters, preload, autoTruncate, timeout);
    }

    public ServeConfig withBatching(int batchTokens, int batchRequests, Duration wait) {
        return new ServeConfig(model, adapters, host, port, apiKey, batchTokens, batchRequests, wait,
                maxConcurrentRequests, maxClientBatchSize, payloadLimit, maxLoadedAdapters, preload, autoTruncate, requestTimeout);
    }
}
