package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.graft.GraftException;
import dev.graft.runtime.Arrays2;
import dev.graft.runtime.Progress;
import dev.graft.text.TokenBudgetBatcher;
import dev.graft.text.TokenizedText;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns texts into sentence vectors with a loaded {@link EncoderModel}: tokenise, sort by length, cut batches by
 * {@link EmbedOptions#batcher() the token budget}, pad per batch, run the encoder without gradients, pool, optionally
 * normalise; results come back in the caller's order.
 */
public final class Embedder {
    /** Texts tokenised and sorted together; bounds memory for huge inputs while keeping batches length-homogeneous. */
    private static final int CHUNK = 8192;

    private final EncoderModel model;
    private final EmbedOptions options;

    public Embedder(EncoderModel model, EmbedOptions options) {
        model.checkMaxLength(options.maxLength());
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
        return run(texts, progress, false).get(0);
    }

    /**
     * Pooled features of every layer, for ranking layers and models: index 0 is the embedding layer's output, index
     * {@code l} the output of transformer layer {@code l}. Each layer is pooled as {@link #options()} says (for
     * {@code pooler}, the last layer uses the pooler and the others their CLS vector, since the pooler was trained on
     * the last layer only) and normalised if asked. The embedding layer is always mean-pooled: before any attention its
     * CLS vector is the same for every text.
     *
     * @return [layers + 1][texts.size()][hiddenSize]
     */
    public List<float[][]> embedAllLayers(List<String> texts, Progress progress) {
        return run(texts, progress, true);
    }

    private List<float[][]> run(List<String> texts, Progress progress, boolean allLayers) {
        int layers = allLayers ? model.info().layers() + 1 : 1;
        List<float[][]> out = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            out.add(new float[texts.size()][]);
        }
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
            for (TokenBudgetBatcher.Batch b : options.batcher().plan(tokens)) {
                int[] idx = b.indices();
                List<TokenizedText> batch = new ArrayList<>(idx.length);
                for (int i : idx) {
                    batch.add(tokens.get(i));
                }
                List<float[][]> vectors = embedBatch(batch, allLayers);
                for (int l = 0; l < layers; l++) {
                    for (int k = 0; k < idx.length; k++) {
                        out.get(l)[start + idx[k]] = vectors.get(l)[k];
                    }
                }
                progress.advance(idx.length);
            }
        }
        progress.finish();
        return out;
    }

    /** Pads a batch, runs it and pools. Everything it allocates lives in a sub-manager closed before returning. */
    private List<float[][]> embedBatch(List<TokenizedText> batch, boolean allLayers) {
        try (NDManager scope = model.manager().newSubManager()) {
            TokenBatch in = TokenBatch.of(batch, scope);
            EncoderOutput out = model.encoder().encode(in.ids(), in.mask(), in.typeIds(), false, allLayers);
            List<float[][]> result = new ArrayList<>();
            if (!allLayers) {
                result.add(rows(pool(out, in.mask(), options.pooling()), batch.size()));
                return result;
            }
            List<NDArray> hidden = out.hiddenStates();
            for (int l = 0; l < hidden.size(); l++) {
                boolean last = l == hidden.size() - 1;
                Pooling p = options.pooling() == Pooling.POOLER && !last ? Pooling.CLS : options.pooling();
                if (l == 0 && p == Pooling.CLS) {
                    p = Pooling.MEAN; // before any attention, the CLS vector is the same for every text
                }
                EncoderOutput layer = new EncoderOutput(hidden.get(l), last ? out.pooled() : null, List.of());
                result.add(rows(pool(layer, in.mask(), p), batch.size()));
            }
            return result;
        }
    }

    private float[][] rows(NDArray pooled, int count) {
        if (options.normalize()) {
            pooled = Pooling.normalizeRows(pooled);
        }
        int h = (int) pooled.getShape().get(1);
        float[] flat = pooled.toFloatArray();
        float[][] rows = new float[count][h];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(flat, i * h, rows[i], 0, h);
        }
        return rows;
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
