package dev.graft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.graft.runtime.Arrays2;

/** Training losses; each returns a scalar mean over the batch. */
final class Losses {
    private Losses() {
    }

    /**
     * Weighted softmax cross-entropy, as PyTorch's CrossEntropyLoss(weight): Σ w_y·(−log p_y) / Σ w_y.
     *
     * @param logits       [B, C]
     * @param targets      class indices, [B]
     * @param classWeights [C] or null for equal weights
     */
    static NDArray crossEntropy(NDArray logits, int[] targets, float[] classWeights) {
        NDManager m = logits.getManager();
        int c = (int) logits.getShape().get(1);
        float[] oneHot = new float[targets.length * c];
        float[] w = new float[targets.length];
        for (int i = 0; i < targets.length; i++) {
            float wi = classWeights == null ? 1f : classWeights[targets[i]];
            oneHot[i * c + targets[i]] = 1f;
            w[i] = wi;
        }
        NDArray picked = logits.logSoftmax(1).mul(Arrays2.owned(m, oneHot, new Shape(targets.length, c))).sum(new int[] {1});
        NDArray weights = Arrays2.owned(m, w);
        float total = 0;
        for (float x : w) {
            total += x;
        }
        return picked.mul(weights).sum().neg().div(Arrays2.scalar(m, total));
    }

    /**
     * Binary cross-entropy with logits, averaged over batch and labels; stable form max(x,0) − x·y + log(1+e^−|x|).
     *
     * @param logits  [B, L]
     * @param targets [B, L] in {0, 1}
     */
    static NDArray binaryCrossEntropy(NDArray logits, float[] targets) {
        NDArray y = Arrays2.owned(logits.getManager(), targets, logits.getShape());
        NDArray zero = Arrays2.scalar(logits.getManager(), 0f);
        NDArray one = Arrays2.scalar(logits.getManager(), 1f);
        NDArray loss = logits.maximum(zero).sub(logits.mul(y)).add(logits.abs().neg().exp().add(one).log());
        return loss.mean();
    }

    /**
     * Mean squared error.
     *
     * @param predicted [B, 1]
     */
    static NDArray meanSquaredError(NDArray predicted, float[] targets) {
        NDArray y = Arrays2.owned(predicted.getManager(), targets, new Shape(targets.length, 1));
        return predicted.sub(y).square().mean();
    }

    /**
     * In-batch-negatives contrastive loss (InfoNCE, as in DPR/E5 training): cosine similarities between queries and
     * positives divided by a temperature; cross-entropy with query i's positive at column i.
     *
     * @param queries   [B, H]
     * @param positives [B, H]
     */
    static NDArray contrastive(NDArray queries, NDArray positives, float temperature) {
        NDManager m = queries.getManager();
        NDArray eps = Arrays2.scalar(m, 1e-12f);
        NDArray q = queries.div(queries.norm(new int[] {1}, true).maximum(eps));
        NDArray p = positives.div(positives.norm(new int[] {1}, true).maximum(eps));
        NDArray scores = q.matMul(p.transpose()).div(Arrays2.scalar(m, temperature));
        int b = (int) queries.getShape().get(0);
        int[] diag = new int[b];
        for (int i = 0; i < b; i++) {
            diag[i] = i;
        }
        return crossEntropy(scores, diag, null);
    }

    static boolean isFinite(NDArray scalar) {
        float v = scalar.toType(DataType.FLOAT32, false).getFloat();
        return Float.isFinite(v);
    }
}
