package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.graft.GraftException;
import dev.graft.runtime.Arrays2;
import dev.graft.runtime.Progress;
import dev.graft.text.TextTokenizer;
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

    private final TextTokenizer tokenizer;
    /** L, the transformer layers (for {@link #embedAllLayers}). */
    private final int layers;
    private final EmbedOptions options;
    private final InferenceEngine engine;

    /** Embeds on PyTorch with the model's own weights. */
    public Embedder(EncoderModel model, EmbedOptions options) {
        this(model, options, new PytorchEngine(model));
    }

    /**
     * Embeds with {@code engine} (see {@code dev.graft.model.engine.InferenceEngines}), which must compute
     * {@code model}'s encoder; the model still tokenises. The caller closes the engine.
     */
    public Embedder(EncoderModel model, EmbedOptions options, InferenceEngine engine) {
        this(model.tokenizer(), model.info().layers(), options, engine, model.info().id());
        model.checkMaxLength(options.maxLength());
    }

    /**
     * Embeds with an engine that carries its own weights (an ONNX export directory opened without PyTorch weights,
     * see {@code dev.graft.model.engine.OnnxModelDirectory}). The caller checks the max length against the model's
     * positions and closes the engine.
     *
     * @param layers L, the transformer layers (only {@link #embedAllLayers} reads it)
     * @param id     the model's name, for messages
     */
    public Embedder(TextTokenizer tokenizer, int layers, EmbedOptions options, InferenceEngine engine, String id) {
        if (!engine.supports(options.pooling())) {
            throw new GraftException("pooling '" + options.pooling().cliName() + "' is not available for "
                    + id + " on " + engine.name() + " (no pooler output): use cls or mean");
        }
        this.tokenizer = tokenizer;
        this.layers = layers;
        this.options = options;
        this.engine = engine;
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
     * {@code l} the output of transformer layer {@code l}. Each layer is pooled as {@link #options()} says, with the
     * exceptions {@link InferenceEngine#layerPooling} explains, and normalised if asked.
     *
     * @return [layers + 1][texts.size()][hiddenSize]
     */
    public List<float[][]> embedAllLayers(List<String> texts, Progress progress) {
        return run(texts, progress, true);
    }

    private List<float[][]> run(List<String> texts, Progress progress, boolean allLayers) {
        int layers = allLayers ? this.layers + 1 : 1;
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
            List<TokenizedText> tokens = tokenizer.encodeAll(chunk, options.maxLength());
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

    /** Pads a batch and lets the engine run and pool it: [layers][batch.size()][hidden]. */
    private List<float[][]> embedBatch(List<TokenizedText> batch, boolean allLayers) {
        TokenIds in = TokenIds.pad(batch);
        return allLayers ? engine.embedAllLayers(in, options.pooling(), options.normalize())
                : List.<float[][]>of(engine.embed(in, options.pooling(), options.normalize()));
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
