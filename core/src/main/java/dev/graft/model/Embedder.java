package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.graft.GraftException;
import dev.graft.runtime.Progress;
import dev.graft.text.TokenizedText;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Turns texts into sentence vectors with a loaded {@link EncoderModel}: tokenise, sort by length, pad per batch,
 * run the encoder without gradients, pool, optionally normalise; results come back in the caller's order.
 */
public final class Embedder {
    /** Texts tokenised and sorted together; bounds memory for huge inputs while keeping batches length-homogeneous. */
    private static final int CHUNK = 8192;

    private final EncoderModel model;
    private final EmbedOptions options;

    public Embedder(EncoderModel model, EmbedOptions options) {
        if (options.maxLength() > model.info().maxPositions()) {
            throw new GraftException("max length " + options.maxLength() + " exceeds the model's limit of "
                    + model.info().maxPositions() + " tokens");
        }
        if (options.pooling() == Pooling.POOLER && !hasPooler(model)) {
            throw new GraftException("pooling 'pooler' needs a model with pooler weights; " + model.info().id()
                    + " has none: use cls or mean");
        }
        this.model = model;
        this.options = options;
    }

    private static boolean hasPooler(EncoderModel model) {
        return model.namedParameters().containsKey("pooler.dense.weight");
    }

    public EmbedOptions options() {
        return options;
    }

    /** @return one vector per text, [texts.size()][hiddenSize] */
    public float[][] embed(List<String> texts) {
        return embed(texts, Progress.NONE);
    }

    /** @return one vector per text, [texts.size()][hiddenSize]; reports progress in texts */
    public float[][] embed(List<String> texts, Progress progress) {
        float[][] out = new float[texts.size()][];
        progress.start("embedding", texts.size());
        for (int start = 0; start < texts.size(); start += CHUNK) {
            int end = Math.min(texts.size(), start + CHUNK);
            List<String> chunk = new ArrayList<>(end - start);
            for (int i = start; i < end; i++) {
                String t = texts.get(i);
                if (t == null) {
                    throw new GraftException("text " + i + " is null");
                }
                chunk.add(options.prefix().isEmpty() ? t : options.prefix() + t);
            }
            List<TokenizedText> tokens = model.tokenizer().encodeAll(chunk, options.maxLength());
            // Longest first: the largest batch shapes come first, so memory peaks early and predictably.
            int[] order = IntStream.range(0, tokens.size()).boxed()
                    .sorted(Comparator.comparingInt((Integer i) -> -tokens.get(i).length()).thenComparingInt(i -> i))
                    .mapToInt(Integer::intValue).toArray();
            for (int b = 0; b < order.length; b += options.batchSize()) {
                int n = Math.min(options.batchSize(), order.length - b);
                List<TokenizedText> batch = new ArrayList<>(n);
                for (int k = 0; k < n; k++) {
                    batch.add(tokens.get(order[b + k]));
                }
                float[][] vectors = embedBatch(batch);
                for (int k = 0; k < n; k++) {
                    out[start + order[b + k]] = vectors[k];
                }
                progress.advance(n);
            }
        }
        progress.finish();
        return out;
    }

    /** Pads a batch, runs it and pools. Everything it allocates lives in a sub-manager closed before returning. */
    private float[][] embedBatch(List<TokenizedText> batch) {
        try (NDManager scope = model.manager().newSubManager()) {
            TokenBatch in = TokenBatch.of(batch, scope);
            EncoderOutput out = model.encoder().encode(in.ids(), in.mask(), in.typeIds(), false, false);
            NDArray pooled = pool(out, in.mask(), options.pooling());
            if (options.normalize()) {
                pooled = Pooling.normalizeRows(pooled);
            }
            int h = (int) pooled.getShape().get(1);
            float[] flat = pooled.toFloatArray();
            float[][] rows = new float[batch.size()][h];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(flat, i * h, rows[i], 0, h);
            }
            return rows;
        }
    }

    /**
     * @param mask [B, T] int64
     * @return [B, H]
     */
    public static NDArray pool(EncoderOutput out, NDArray mask, Pooling pooling) {
        NDArray last = out.lastHiddenState();
        return switch (pooling) {
            case CLS -> last.get(":, 0, :");
            case POOLER -> {
                if (out.pooled() == null) {
                    throw new dev.graft.GraftException("pooling 'pooler' is not available here (no pooler output); use cls or mean");
                }
                yield out.pooled();
            }
            case MEAN -> {
                NDArray m = mask.toType(DataType.FLOAT32, false).expandDims(2); // [B, T, 1]
                NDArray sum = last.mul(m).sum(new int[] {1});
                NDArray count = m.sum(new int[] {1}).maximum(Arrays2.scalar(m.getManager(), 1e-9f));
                yield sum.div(count);
            }
        };
    }
}
