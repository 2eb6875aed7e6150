package dev.graft.model;

import dev.graft.GraftException;
import dev.graft.text.TokenBudgetBatcher;

/**
 * How {@link Embedder} turns texts into vectors.
 *
 * @param pooling   CLS, MEAN or POOLER
 * @param normalize L2-normalise each vector
 * @param batchSize the most texts per forward pass (batches are formed after sorting by length)
 * @param maxLength longest token sequence kept (longer texts are truncated); at most the model's max positions
 * @param prefix    text prepended to every input (e.g. {@code "query: "} for E5); "" for none
 * @param maxBatchTokens the most padded tokens per forward pass (texts × the batch's longest text), so long texts go
 *                  in smaller batches; see {@link TokenBudgetBatcher}
 */
public record EmbedOptions(Pooling pooling, boolean normalize, int batchSize, int maxLength, String prefix,
                           int maxBatchTokens) {
    public EmbedOptions {
        if (pooling == null) {
            throw new GraftException("pooling must be set");
        }
        if (batchSize <= 0) {
            throw new GraftException("batch size must be positive, got " + batchSize);
        }
        if (maxLength < 2) {
            throw new GraftException("max length must be at least 2 tokens ([CLS] and [SEP]), got " + maxLength);
        }
        prefix = prefix == null ? "" : prefix;
        new TokenBudgetBatcher(maxBatchTokens, batchSize); // validates the budget, naming --max-batch-tokens
    }

    /** Options with the default token budget ({@link TokenBudgetBatcher#DEFAULT_MAX_BATCH_TOKENS}). */
    public EmbedOptions(Pooling pooling, boolean normalize, int batchSize, int maxLength, String prefix) {
        this(pooling, normalize, batchSize, maxLength, prefix, TokenBudgetBatcher.DEFAULT_MAX_BATCH_TOKENS);
    }

    /** How texts are cut into batches: at most {@link #batchSize()} texts and {@link #maxBatchTokens()} tokens each. */
    public TokenBudgetBatcher batcher() {
        return new TokenBudgetBatcher(maxBatchTokens, batchSize);
    }

    /**
     * The model's own defaults: its pooling and normalisation, batch size 32 with the default token budget, the token
     * limit it was trained with (bundled models) or its position limit, no prefix.
     */
    public static EmbedOptions defaults(EncoderModel model) {
        int maxLength = model.bundled().map(BundledModel::maxLength).orElse(model.info().maxPositions());
        return new EmbedOptions(model.defaultPooling(), model.defaultNormalize(), 32, maxLength, "");
    }

    /**
     * The model's defaults ({@link #defaults(EncoderModel)}) with a user's {@code --pooling} and {@code --max-length}
     * (graft features and rank).
     *
     * @param pooling   null keeps the model's pooling
     * @param maxLength null keeps the model's limit; not clamped, so a value past the model's positions fails when
     *                  embedding (callers that prefer to clamp do so first)
     */
    public static EmbedOptions defaults(EncoderModel model, Pooling pooling, Integer maxLength) {
        EmbedOptions o = defaults(model).withBatchSize(32);
        if (pooling != null) {
            o = o.withPooling(pooling);
        }
        if (maxLength != null) {
            o = o.withMaxLength(maxLength);
        }
        return o;
    }

    public EmbedOptions withPooling(Pooling p) {
        return new EmbedOptions(p, normalize, batchSize, maxLength, prefix, maxBatchTokens);
    }

    public EmbedOptions withNormalize(boolean n) {
        return new EmbedOptions(pooling, n, batchSize, maxLength, prefix, maxBatchTokens);
    }

    public EmbedOptions withBatchSize(int b) {
        return new EmbedOptions(pooling, normalize, b, maxLength, prefix, maxBatchTokens);
    }

    public EmbedOptions withMaxLength(int m) {
        return new EmbedOptions(pooling, normalize, batchSize, m, prefix, maxBatchTokens);
    }

    public EmbedOptions withPrefix(String p) {
        return new EmbedOptions(pooling, normalize, batchSize, maxLength, p, maxBatchTokens);
    }

    /** The same options with a token budget per forward pass ({@code --max-batch-tokens}). */
    public EmbedOptions withMaxBatchTokens(int tokens) {
        return new EmbedOptions(pooling, normalize, batchSize, maxLength, prefix, tokens);
    }
}
