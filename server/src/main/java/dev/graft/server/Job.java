package dev.graft.server;

import dev.graft.text.TokenizedText;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One request's texts waiting for the compute thread. Its result is [inputs][C] in the request's order; it is
 * completed exceptionally with an {@link ApiException}, or cancelled when the client goes away.
 */
final class Job {
    enum Kind { EMBED, PREDICT }

    final Kind kind;
    /** The adapter's name, null for the base. */
    final String adapter;
    final Path adapterDir;
    final List<TokenizedText> tokens;
    final boolean raw;
    final int tokenCount;
    final long enqueuedNanos = System.nanoTime();
    final long deadlineNanos;
    final CompletableFuture<float[][]> result = new CompletableFuture<>();
    volatile long queueNanos;
    volatile long computeNanos;

    Job(Kind kind, String adapter, Path adapterDir, List<TokenizedText> tokens, boolean raw, long timeoutNanos) {
        this.kind = kind;
        this.adapter = adapter;
        this.adapterDir = adapterDir;
        this.tokens = tokens;
        this.raw = raw;
        this.tokenCount = tokens.stream().mapToInt(TokenizedText::length).sum();
        this.deadlineNanos = enqueuedNanos + timeoutNanos;
    }

    /**
     * Jobs with equal keys may share a batch: the same model (base or one adapter) and the same output. Mixed-adapter
     * batching (one base pass, a per-row LoRA term) would relax this to the kind alone for LoRA adapters.
     */
    String key() {
        return kind + "/" + (adapter == null ? "" : adapter) + (raw ? "/raw" : "");
    }
}
