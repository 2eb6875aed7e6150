package dev.graft.server;

import dev.graft.text.TokenBudgetBatcher;
import dev.graft.text.TokenizedText;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic batching: HTTP threads {@link #submit} jobs into a bounded queue; ONE compute thread (PyTorch's thread pool
 * is process-wide, so one caller uses all its intra-op threads) takes the oldest job, waits at most {@code maxWait} for
 * more jobs of the same model to join, up to {@code maxBatchRequests} requests and {@code maxBatchTokens} tokens, runs
 * them as length-sorted forward passes ({@link TokenBudgetBatcher}) and scatters the rows back to each job in order.
 * HTTP threads never run the model.
 *
 * <p>Jobs for different models (the base, each adapter) are grouped per model: a job of another model met while
 * filling a batch waits in {@code pending} and leads a later batch, so no job waits behind more than one batch of
 * others. Mixed-adapter batches (Punica/S-LoRA) would go in {@link #run}: one base pass with a per-row adapter term.
 * A job whose client went away (cancelled) or whose deadline passed is dropped before it is computed.
 */
final class BatchScheduler {
    private static final Logger LOG = LoggerFactory.getLogger(BatchScheduler.class);

    private final ModelHost host;
    private final ServeConfig config;
    private final ServerMetrics metrics;
    private final BlockingQueue<Job> queue;
    /** Jobs taken from the queue that did not fit the batch being formed; compute thread only. */
    private final java.util.concurrent.LinkedBlockingDeque<Job> pending = new java.util.concurrent.LinkedBlockingDeque<>();
    private final TokenBudgetBatcher forwardPasses;
    private final Thread thread;
    private volatile boolean accepting = true;
    private volatile boolean healthy = true;

    BatchScheduler(ModelHost host, ServeConfig config, ServerMetrics metrics) {
        this.host = host;
        this.config = config;
        this.metrics = metrics;
        this.queue = new ArrayBlockingQueue<>(config.maxConcurrentRequests());
        // a forward pass costs padded tokens; on the CPU the core's measured budget is fastest (see TokenBudgetBatcher)
        this.forwardPasses = new TokenBudgetBatcher(Math.min(config.maxBatchTokens(),
                TokenBudgetBatcher.DEFAULT_MAX_BATCH_TOKENS), Math.max(1, config.maxBatchTokens()));
        this.thread = new Thread(this::loop, "graft-compute");
        this.thread.setDaemon(true);
    }

    /** Runs {@code startup} (e.g. preloading adapters) on the compute thread, then starts serving the queue. */
    void start(Runnable startup) {
        thread.setUncaughtExceptionHandler((t, e) -> {
            healthy = false;
            LOG.error("the compute thread died: {}", e.toString());
        });
        this.startup = startup;
        thread.start();
    }

    private Runnable startup;

    boolean healthy() {
        return healthy && thread.isAlive();
    }

    int queueSize() {
        return queue.size() + pending.size();
    }

    /**
     * Queues a job.
     *
     * @throws ApiException 429 when the queue is full, 503 when shutting down
     */
    void submit(Job job) {
        if (!accepting) {
            throw ApiException.unhealthy("the server is shutting down");
        }
        if (!queue.offer(job)) {
            throw ApiException.overloaded("the queue is full; retry later");
        }
    }

    /** Stops accepting jobs, finishes the queued ones, then ends the compute thread (waits up to {@code millis}). */
    void shutdown(long millis) throws InterruptedException {
        accepting = false;
        thread.join(millis);
    }

    private void loop() {
        try {
            if (startup != null) {
                startup.run();
            }
        } catch (RuntimeException e) {
            LOG.error("start-up on the compute thread failed: {}", e.getMessage());
            healthy = false;
        }
        while (accepting || !queue.isEmpty() || !pending.isEmpty()) {
            try {
                List<Job> batch = form();
                if (!batch.isEmpty()) {
                    run(batch);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.error("compute loop: {}", e.toString());
            }
        }
    }

    /** The next batch: the oldest live job and the live jobs of the same model that join it within the wait. */
    private List<Job> form() throws InterruptedException {
        Job first = null;
        while (first == null) {
            Job j = pending.isEmpty() ? queue.poll(50, TimeUnit.MILLISECONDS) : pending.poll();
            if (j == null) {
                if (!accepting && queue.isEmpty()) {
                    return List.of();
                }
                continue;
            }
            if (live(j)) {
                first = j;
            }
        }
        List<Job> batch = new ArrayList<>();
        batch.add(first);
        long tokens = first.tokenCount;
        String key = first.key();
        // same-model jobs already waiting join first (they are older than anything in the queue)
        for (Iterator<Job> it = pending.iterator(); it.hasNext() && batch.size() < config.maxBatchRequests(); ) {
            Job j = it.next();
            if (j.key().equals(key) && tokens + j.tokenCount <= config.maxBatchTokens()) {
                it.remove();
                if (live(j)) {
                    batch.add(j);
                    tokens += j.tokenCount;
                }
            }
        }
        long until = System.nanoTime() + config.maxWait().toNanos();
        while (batch.size() < config.maxBatchRequests()) {
            long left = until - System.nanoTime();
            Job j = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
            if (j == null) {
                break;
            }
            if (!j.key().equals(key) || tokens + j.tokenCount > config.maxBatchTokens()) {
                pending.add(j);
                if (tokens + j.tokenCount > config.maxBatchTokens() && j.key().equals(key)) {
                    break;
                }
                continue;
            }
            if (live(j)) {
                batch.add(j);
                tokens += j.tokenCount;
            }
        }
        return batch;
    }

    /** False (and the job answered) when its client went away or its deadline passed. */
    private boolean live(Job j) {
        if (j.result.isDone()) {
            metrics.dropped("disconnected");
            return false;
        }
        if (System.nanoTime() > j.deadlineNanos) {
            j.result.completeExceptionally(ApiException.overloaded("the request waited longer than its deadline"));
            metrics.dropped("deadline");
            return false;
        }
        return true;
    }

    private void run(List<Job> batch) {
        long start = System.nanoTime();
        Job first = batch.get(0);
        List<TokenizedText> all = new ArrayList<>();
        for (Job j : batch) {
            j.queueNanos = start - j.enqueuedNanos;
            all.addAll(j.tokens);
        }
        float[][] rows;
        try {
            ModelHost.Loaded adapter = first.adapter == null ? null : host.adapter(first.adapter, first.adapterDir);
            rows = first.kind == Job.Kind.EMBED ? host.embed(adapter, all, forwardPasses)
                    : host.predict(adapter, all, forwardPasses, first.raw);
        } catch (ApiException e) {
            batch.forEach(j -> j.result.completeExceptionally(e));
            return;
        } catch (RuntimeException e) {
            LOG.error("batch of {} requests for {} failed: {}", batch.size(), first.key(), e.toString());
            ApiException err = new ApiException(500, "backend", "the model failed on this request");
            batch.forEach(j -> j.result.completeExceptionally(err));
            return;
        }
        long compute = System.nanoTime() - start;
        metrics.batch(all.size(), all.stream().mapToInt(TokenizedText::length).sum(), first.adapter, batch.size());
        int at = 0;
        for (Job j : batch) {
            float[][] mine = new float[j.tokens.size()][];
            System.arraycopy(rows, at, mine, 0, mine.length);
            at += mine.length;
            j.computeNanos = compute;
            j.result.complete(mine);
        }
    }
}
