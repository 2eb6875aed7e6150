package dev.graft.peft.fusion;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.graft.runtime.Arrays2;
import java.util.Random;

/**
 * AdapterFusion (Pfeiffer et al., "AdapterFusion: Non-Destructive Task Composition for Transfer Learning", EACL 2021,
 * https://arxiv.org/abs/2005.00247), method {@code fusion}: at every adapter site, attention from the sub-layer output
 * over the frozen source adapters' outputs (see {@link FusionAttention}). Initialisation: query and key weights
 * N(0, 0.02²), value weight the identity with 10⁻⁶ off the diagonal (the paper's near-identity value, so that
 * training starts from the average of the sources' changes), biases zero. Not implemented: the paper's optional
 * regulariser pulling the value matrix towards the identity, and temperature annealing (AdapterHub's defaults leave
 * both off for the static fusion config). Parameters per site: 3·(H² + H), saved as
 * {@code encoder.layer.L.output.adapter_fusion.{query,key,value}.{weight,bias}}.
 */
public final class AdapterFusion extends Composition {
    @Override
    public String name() {
        return "fusion";
    }

    @Override
    public String peftType() {
        return "ADAPTER_FUSION";
    }

    @Override
    public String reference() {
        return "Pfeiffer et al. 2021, https://arxiv.org/abs/2005.00247";
    }

    @Override
    public double defaultLearningRate() {
        return 5e-4;
    }

    @Override
    protected Combiner combiner(String site, int sources, int hidden, NDManager manager, Random rng,
                                java.util.Map<String, Parameter> shared) {
        String prefix = site + ".adapter_fusion.";
        return new FusionAttention(prefix,
                trainable(prefix + "query.weight", Parameter.Type.WEIGHT, normal(hidden, rng, manager)),
                trainable(prefix + "query.bias", Parameter.Type.BIAS, manager.zeros(new Shape(hidden))),
                trainable(prefix + "key.weight", Parameter.Type.WEIGHT, normal(hidden, rng, manager)),
                trainable(prefix + "key.bias", Parameter.Type.BIAS, manager.zeros(new Shape(hidden))),
                trainable(prefix + "value.weight", Parameter.Type.WEIGHT, identity(hidden, manager)),
                trainable(prefix + "value.bias", Parameter.Type.BIAS, manager.zeros(new Shape(hidden))));
    }

    private static ai.djl.ndarray.NDArray normal(int h, Random rng, NDManager manager) {
        float[] w = new float[h * h];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rng.nextGaussian() * 0.02);
        }
        return Arrays2.owned(manager, w, new Shape(h, h));
    }

    private static ai.djl.ndarray.NDArray identity(int h, NDManager manager) {
        float[] w = new float[h * h];
        java.util.Arrays.fill(w, 1e-6f);
        for (int i = 0; i < h; i++) {
            w[i * h + i] = 1f;
        }
        return Arrays2.owned(manager, w, new Shape(h, h));
    }

    @Override
    public long transferParameters(int sources, int hidden, int sites, int layers) {
        return 3L * ((long) hidden * hidden + hidden) * sites;
    }
}
