package dev.graft.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The server's Prometheus metrics (Micrometer's Prometheus registry): requests by route and status with their
 * durations, the queue, batch sizes and tokens, requests per adapter, dropped requests, loaded adapters.
 */
final class ServerMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    void gauges(Supplier<Number> queue, Supplier<Number> inFlight, Supplier<Number> loadedAdapters) {
        Gauge.builder("graft_queue_size", () -> queue.get()).description("requests waiting for the compute thread").register(registry);
        Gauge.builder("graft_requests_in_flight", () -> inFlight.get()).description("requests being handled").register(registry);
        Gauge.builder("graft_adapters_loaded", () -> loadedAdapters.get()).description("adapters loaded now").register(registry);
    }

    void request(String route, int status, long nanos) {
        Timer.builder("graft_http_requests").description("HTTP requests by route and status")
                .tag("route", route).tag("status", Integer.toString(status)).register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    void batch(int texts, int tokens, String adapter, int requests) {
        DistributionSummary.builder("graft_batch_texts").description("texts per formed batch").register(registry).record(texts);
        DistributionSummary.builder("graft_batch_tokens").description("tokens per formed batch").register(registry).record(tokens);
        DistributionSummary.builder("graft_batch_requests").description("requests per formed batch").register(registry).record(requests);
        Counter.builder("graft_adapter_requests").description("requests computed, per model (the base is \"\")")
                .tag("adapter", adapter == null ? "" : adapter).register(registry).increment(requests);
    }

    void dropped(String why) {
        Counter.builder("graft_requests_dropped").description("requests dropped before compute").tag("reason", why)
                .register(registry).increment();
    }

    String scrape() {
        return registry.scrape();
    }
}
