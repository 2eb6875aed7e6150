package dev.graft.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Properties of token-budget batching, checked on many random inputs (long-tailed lengths, random budgets and batch
 * caps): every text lands in exactly one batch, no batch exceeds either limit unless it is one over-long text, batches
 * are as full as the limits allow, and the plan is deterministic.
 */
class TokenBudgetBatcherTest {
    private static final int CASES = 500;

    /** Mostly short texts with a long tail, like real corpora; includes empty texts and ties. */
    private static int[] lengths(Random r) {
        int[] x = new int[r.nextInt(300)];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(10) == 0 ? r.nextInt(600) : r.nextInt(40);
        }
        return x;
    }

    private static TokenBudgetBatcher batcher(Random r) {
        return new TokenBudgetBatcher(1 + r.nextInt(4096), 1 + r.nextInt(64));
    }

    @Test
    void everyTextIsInExactlyOneBatch() {
        Random r = new Random(1);
        for (int c = 0; c < CASES; c++) {
            int[] lengths = lengths(r);
            int[] seen = new int[lengths.length];
            for (TokenBudgetBatcher.Batch b : batcher(r).plan(lengths)) {
                for (int i : b.indices()) {
                    seen[i]++;
                }
            }
            for (int i = 0; i < seen.length; i++) {
                assertEquals(1, seen[i], "case " + c + ": text " + i);
            }
        }
    }

    @Test
    void noBatchIsOverBudgetExceptASingleOverLongText() {
        Random r = new Random(2);
        for (int c = 0; c < CASES; c++) {
            int[] lengths = lengths(r);
            TokenBudgetBatcher batcher = batcher(r);
            for (TokenBudgetBatcher.Batch b : batcher.plan(lengths)) {
                assertTrue(b.size() >= 1 && b.size() <= batcher.maxBatchSize(), "case " + c + ": size " + b.size());
                int longest = 0;
                for (int i : b.indices()) {
                    longest = Math.max(longest, lengths[i]);
                }
                assertEquals(longest, b.paddedLength(), "case " + c);
                if (b.size() > 1) {
                    assertTrue(b.tokens() <= batcher.maxBatchTokens(), "case " + c + ": " + b.tokens() + " tokens");
                } else if (b.tokens() > batcher.maxBatchTokens()) {
                    assertTrue(lengths[b.indices()[0]] > batcher.maxBatchTokens(), "case " + c);
                }
            }
        }
    }

    @Test
    void batchesAreAsFullAsTheLimitsAllow() {
        // greedy over lengths sorted longest first: the next text would have broken a limit
        Random r = new Random(3);
        for (int c = 0; c < CASES; c++) {
            int[] lengths = lengths(r);
            TokenBudgetBatcher batcher = batcher(r);
            List<TokenBudgetBatcher.Batch> plan = batcher.plan(lengths);
            for (int k = 0; k + 1 < plan.size(); k++) {
                TokenBudgetBatcher.Batch b = plan.get(k);
                boolean full = b.size() == batcher.maxBatchSize()
                        || (long) (b.size() + 1) * Math.max(1, b.paddedLength()) > batcher.maxBatchTokens();
                assertTrue(full, "case " + c + ": batch " + k + " could have taken another text");
                assertTrue(plan.get(k + 1).paddedLength() <= b.paddedLength(), "case " + c + ": longest first");
            }
        }
    }

    @Test
    void theSameInputGivesTheSamePlanAndTiesKeepInputOrder() {
        Random r = new Random(4);
        for (int c = 0; c < CASES; c++) {
            int[] lengths = lengths(r);
            TokenBudgetBatcher batcher = batcher(r);
            List<TokenBudgetBatcher.Batch> a = batcher.plan(lengths);
            List<TokenBudgetBatcher.Batch> b = batcher.plan(lengths.clone());
            assertEquals(a.size(), b.size());
            for (int k = 0; k < a.size(); k++) {
                assertArrayEquals(a.get(k).indices(), b.get(k).indices());
            }
        }
        int[] ties = {5, 5, 5, 5, 5};
        List<TokenBudgetBatcher.Batch> plan = new TokenBudgetBatcher(10, 8).plan(ties);
        assertArrayEquals(new int[] {0, 1}, plan.get(0).indices());
        assertArrayEquals(new int[] {4}, plan.get(2).indices());
    }

    @Test
    void resultsMapBackToTheCallersOrder() {
        // what callers do: run each batch, write row k of its result to position indices[k]
        Random r = new Random(5);
        for (int c = 0; c < CASES; c++) {
            int[] lengths = lengths(r);
            int[] back = new int[lengths.length];
            for (TokenBudgetBatcher.Batch b : batcher(r).plan(lengths)) {
                for (int k = 0; k < b.size(); k++) {
                    back[b.indices()[k]] = lengths[b.indices()[k]] * 31 + b.indices()[k];
                }
            }
            for (int i = 0; i < lengths.length; i++) {
                assertEquals(lengths[i] * 31 + i, back[i]);
            }
        }
    }

    @Test
    void longTextsGoInSmallBatchesAndShortOnesInLarge() {
        int[] lengths = {256, 256, 256, 256, 16, 16, 16, 16, 16, 16, 16, 16};
        List<TokenBudgetBatcher.Batch> plan = new TokenBudgetBatcher(512, 32).plan(lengths);
        assertEquals(List.of(2, 2, 8), sizes(plan));
        // over-long texts go alone, longest first
        assertEquals(List.of(1, 1, 3), sizes(new TokenBudgetBatcher(100, 32).plan(new int[] {30, 500, 30, 30, 600})));
    }

    private static List<Integer> sizes(List<TokenBudgetBatcher.Batch> plan) {
        return plan.stream().map(TokenBudgetBatcher.Batch::size).toList();
    }

    @Test
    void anEmptyListHasNoBatches() {
        assertTrue(TokenBudgetBatcher.withBatchSize(32).plan(new int[0]).isEmpty());
    }

    @Test
    void badLimitsNameTheParameter() {
        GraftException e = assertThrows(GraftException.class, () -> new TokenBudgetBatcher(0, 32));
        assertEquals("--max-batch-tokens must be ≥ 1, got 0", e.getMessage());
        e = assertThrows(GraftException.class, () -> new TokenBudgetBatcher(4096, -1));
        assertEquals("--batch-size must be ≥ 1, got -1", e.getMessage());
    }
}
