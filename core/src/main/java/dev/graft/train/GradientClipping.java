package dev.graft.train;

import ai.djl.ndarray.NDArray;
import java.util.Collection;

/**
 * Global-norm clipping (Pascanu et al. 2013): if the L2 norm of all gradients together exceeds {@code maxNorm},
 * scale every gradient by maxNorm / norm. DJL's own clipping only clamps element-wise, which changes the direction.
 */
public final class GradientClipping {
    private GradientClipping() {
    }

    /**
     * Clips in place.
     *
     * @return the global norm before clipping (NaN or infinite if a gradient is)
     */
    public static double clip(Collection<NDArray> gradients, double maxNorm) {
        double sumSquares = 0;
        for (NDArray g : gradients) {
            try (NDArray s = g.square().sum()) {
                sumSquares += s.getFloat();
            }
        }
        double norm = Math.sqrt(sumSquares);
        if (maxNorm > 0 && norm > maxNorm && Double.isFinite(norm)) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            for (NDArray g : gradients) {
                g.muli(scale);
            }
        }
        return norm;
    }
}
