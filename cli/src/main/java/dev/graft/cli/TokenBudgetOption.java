package dev.graft.cli;

import dev.graft.text.TokenBudgetBatcher;
import picocli.CommandLine.Option;

/** {@code --max-batch-tokens}, shared by the commands that run frozen inference in batches. */
final class TokenBudgetOption {
    @Option(names = "--max-batch-tokens", paramLabel = "N", defaultValue = "" + TokenBudgetBatcher.DEFAULT_MAX_BATCH_TOKENS,
            description = "Most padded tokens per forward pass (texts × the batch's longest text): long texts go in"
                    + " smaller batches, short ones in batches up to the batch size. Default: ${DEFAULT-VALUE}.")
    int maxBatchTokens;

    /** Batches of at most {@code batchSize} texts and {@code --max-batch-tokens} tokens. */
    TokenBudgetBatcher batcher(int batchSize) {
        return new TokenBudgetBatcher(maxBatchTokens, batchSize);
    }
}
