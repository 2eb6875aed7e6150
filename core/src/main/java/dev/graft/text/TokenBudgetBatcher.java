package dev.graft.text;

import dev.graft.GraftException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Cuts tokenised texts into inference batches by a token budget, as text-embeddings-inference's
 * {@code max_batch_tokens} does: texts are sorted by length (longest first) and each batch takes as many as fit in
 * {@code batch size × padded length ≤ maxBatchTokens}, and at most {@code maxBatchSize}. Short texts thus travel in
 * large batches and long ones in small batches, which bounds the padded tokens per forward pass, and with it the
 * [batch, heads, T, T] attention scores an unfused attention materialises. A single text longer than the budget forms
 * a batch of its own.
 *
 * <p>Batches come out longest first, so memory peaks early and predictably; each batch lists its texts by their index
 * in the caller's list, so results map back to the caller's order. The plan depends only on the lengths (ties keep
 * input order): the same input always gives the same batches.
 *
 * @param maxBatchTokens the most padded tokens per batch (texts × longest text in the batch), ≥ 1
 * @param maxBatchSize   the most texts per batch, ≥ 1
 */
public record TokenBudgetBatcher(int maxBatchTokens, int maxBatchSize) {
    /**
     * The default budget: 32 texts of 32 tokens, 8 of 128, 4 of 256. Chosen by measurement on the CPU
     * ({@code bench/budget-sweep.sh}, both embedding text sets, one thread): 512 and 1024 were fastest (~1.25–1.3× count-only
     * batches of 32), 2048 ~1.2×, 4096 ~1.05×; on the CPU smaller batches keep each layer's activations and attention
     * scores in cache. 1024 rather than 512 leaves larger matrix products for more threads.
     */
    public static final int DEFAULT_MAX_BATCH_TOKENS = 1024;

    public TokenBudgetBatcher {
        if (maxBatchTokens < 1) {
            throw new GraftException("--max-batch-tokens must be ≥ 1, got " + maxBatchTokens);
        }
        if (maxBatchSize < 1) {
            throw new GraftException("--batch-size must be ≥ 1, got " + maxBatchSize);
        }
    }

    /** The default token budget with at most {@code maxBatchSize} texts per batch. */
    public static TokenBudgetBatcher withBatchSize(int maxBatchSize) {
        return new TokenBudgetBatcher(DEFAULT_MAX_BATCH_TOKENS, maxBatchSize);
    }

    /**
     * One batch of the plan.
     *
     * @param indices      positions of its texts in the caller's list, longest text first
     * @param paddedLength the length every text is padded to: the longest text's
     */
    public record Batch(int[] indices, int paddedLength) {
        /** Number of texts. */
        public int size() {
            return indices.length;
        }

        /** Padded tokens the batch costs: size × padded length. */
        public long tokens() {
            return (long) indices.length * paddedLength;
        }
    }

    /** Plans batches for tokenised texts; see {@link #plan(int[])}. */
    public List<Batch> plan(List<TokenizedText> texts) {
        return plan(texts.stream().mapToInt(TokenizedText::length).toArray());
    }

    /**
     * Plans batches for texts of the given lengths.
     *
     * @param lengths tokens per text, [texts]
     * @return batches, longest first, covering every index of {@code lengths} exactly once
     */
    public List<Batch> plan(int[] lengths) {
        int[] order = IntStream.range(0, lengths.length).boxed()
                .sorted(Comparator.comparingInt((Integer i) -> -lengths[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
        List<Batch> batches = new ArrayList<>();
        int start = 0;
        while (start < order.length) {
            // sorted longest first, so the first text sets the batch's padded length; an empty text still costs a slot
            int padded = Math.max(1, lengths[order[start]]);
            int end = start + 1;
            while (end < order.length && end - start < maxBatchSize && (long) (end - start + 1) * padded <= maxBatchTokens) {
                end++;
            }
            batches.add(new Batch(Arrays.copyOfRange(order, start, end), lengths[order[start]]));
            start = end;
        }
        return batches;
    }
}
