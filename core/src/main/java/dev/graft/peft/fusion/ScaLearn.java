package dev.graft.peft.fusion;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.graft.runtime.Arrays2;
import java.util.Map;
import java.util.Random;

/**
 * ScaLearn (Frohmann et al., "ScaLearn: Simple and Highly Parameter-Efficient Task Transfer by Learning to Scale",
 * Findings of ACL 2024, https://arxiv.org/abs/2310.01217): at every adapter site the frozen source adapters' outputs
 * are scaled by learned weights and summed, {@code out = y + Σₙ ωₙ ⊙ δₙ(y)}, where {@code δₙ(y) = up(act(down(y)))}
 * is source n's output before its residual connection (the residual {@code y} is added once, after the sum, as in
 * the authors' implementation) and ω is not normalised (the scales need not sum to one).
 * <ul>
 *   <li>{@code scalearn}: ω [N, H] per site (per layer);</li>
 *   <li>{@code scalearn-uniform}: ω [N, 1] per site, one scalar per source;</li>
 *   <li>{@code scalearn++} and {@code scalearn-uniform++}: the same shapes, one ω shared by all layers (per site kind:
 *       FFN output, and attention output for Houlsby-placed sources).</li>
 * </ul>
 * Initialisation: ω ~ N(1/N, 0.001²), so training starts from the average of the sources' changes. Saved as
 * {@code encoder.layer.L.output.scalearn.omega} (per layer) or {@code encoder.scalearn.output.omega} (shared), and
 * {@code ...attention.output.scalearn.omega} for the attention site.
 */
public abstract class ScaLearn extends Composition {
    private final String name;
    private final boolean vector;
    private final boolean shared;

    ScaLearn(String name, boolean vector, boolean shared) {
        this.name = name;
        this.vector = vector;
        this.shared = shared;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String peftType() {
        return switch (name) {
            case "scalearn" -> "SCALEARN";
            case "scalearn-uniform" -> "SCALEARN_UNIFORM";
            case "scalearn++" -> "SCALEARN_PLUSPLUS";
            default -> "SCALEARN_UNIFORM_PLUSPLUS";
        };
    }

    @Override
    public String reference() {
        return "Frohmann et al. 2024, https://arxiv.org/abs/2310.01217";
    }

    /** A handful of scales (N per site or fewer) move slowly at adapter learning rates. */
    @Override
    public double defaultLearningRate() {
        return 1e-2;
    }

    @Override
    protected Combiner combiner(String site, int sources, int hidden, NDManager manager, Random rng,
                                Map<String, Parameter> perModel) {
        String kind = site.replaceFirst("^encoder\\.layer\\.\\d+\\.", ""); // "output" or "attention.output"
        String key = shared ? "encoder.scalearn." + kind + ".omega" : site + ".scalearn.omega";
        Parameter omega = shared ? perModel.get(key) : null;
        if (omega == null) {
            int width = vector ? hidden : 1;
            float[] v = new float[sources * width];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (1.0 / sources + rng.nextGaussian() * 0.001);
            }
            omega = trainable(key, Parameter.Type.WEIGHT, Arrays2.owned(manager, v, new Shape(sources, width)));
            if (shared) {
                perModel.put(key, omega);
            }
        }
        return new ScaLearnScaling(key, omega);
    }

    @Override
    public long transferParameters(int sources, int hidden, int sites, int layers) {
        int perSite = sources * (vector ? hidden : 1);
        int kinds = sites / layers;
        return (long) perSite * (shared ? kinds : sites);
    }

    /** {@code scalearn}: ω ∈ R^{N×H} per layer. */
    public static final class Vector extends ScaLearn {
        public Vector() {
            super("scalearn", true, false);
        }
    }

    /** {@code scalearn-uniform}: one scalar per source and layer. */
    public static final class Uniform extends ScaLearn {
        public Uniform() {
            super("scalearn-uniform", false, false);
        }
    }

    /** {@code scalearn++}: ω ∈ R^{N×H} shared by all layers. */
    public static final class VectorShared extends ScaLearn {
        public VectorShared() {
            super("scalearn++", true, true);
        }
    }

    /** {@code scalearn-uniform++}: one scalar per source, shared by all layers. */
    public static final class UniformShared extends ScaLearn {
        public UniformShared() {
            super("scalearn-uniform++", false, true);
        }
    }
}
