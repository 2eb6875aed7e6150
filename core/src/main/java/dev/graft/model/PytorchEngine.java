package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.graft.GraftException;
import java.util.ArrayList;
import java.util.List;

/**
 * The PyTorch path: runs the model's own encoder (its weights, with whatever hooks are installed) without gradients
 * and pools on the engine. Everything a batch allocates lives in a sub-manager closed before returning.
 */
public final class PytorchEngine implements InferenceEngine {
    /** The name {@code --engine} uses. */
    public static final String NAME = "pytorch";

    private final EncoderModel model;

    /** @param model the encoder to run (not closed by this engine) */
    public PytorchEngine(EncoderModel model) {
        this.model = model;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean supports(Pooling pooling) {
        return pooling != Pooling.POOLER || model.namedParameters().containsKey("pooler.dense.weight");
    }

    @Override
    public boolean supportsAllLayers() {
        return true;
    }

    @Override
    public float[][] embed(TokenIds batch, Pooling pooling, boolean normalize) {
        return run(batch, pooling, normalize, false).get(0);
    }

    @Override
    public List<float[][]> embedAllLayers(TokenIds batch, Pooling pooling, boolean normalize) {
        return run(batch, pooling, normalize, true);
    }

    private List<float[][]> run(TokenIds batch, Pooling pooling, boolean normalize, boolean allLayers) {
        if (!supports(pooling)) {
            throw new GraftException("pooling 'pooler' needs a model with pooler weights; " + model.info().id()
                    + " has none: use cls or mean");
        }
        try (NDManager scope = model.manager().newSubManager()) {
            TokenBatch in = TokenBatch.of(batch, scope);
            EncoderOutput out = model.encoder().encode(in.ids(), in.mask(), in.typeIds(), false, allLayers);
            List<float[][]> result = new ArrayList<>();
            if (!allLayers) {
                result.add(rows(Embedder.pool(out, in.mask(), pooling), normalize, batch.batch()));
                return result;
            }
            List<NDArray> hidden = out.hiddenStates();
            int last = hidden.size() - 1;
            for (int l = 0; l <= last; l++) {
                EncoderOutput layer = new EncoderOutput(hidden.get(l), l == last ? out.pooled() : null, List.of());
                Pooling p = InferenceEngine.layerPooling(pooling, l, last);
                result.add(rows(Embedder.pool(layer, in.mask(), p), normalize, batch.batch()));
            }
            return result;
        }
    }

    /** [B, H] on the engine to B Java rows. */
    private static float[][] rows(NDArray pooled, boolean normalize, int count) {
        if (normalize) {
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

    @Override
    public void close() {
        // the model owns the weights
    }
}
