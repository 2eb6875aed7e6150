package dev.graft.train;

import ai.djl.ndarray.NDArray;
import dev.graft.model.nn.HfLinear;

/**
 * The trained output layer, named as HF's {@code BertForSequenceClassification} names it: {@code classifier.weight}
 * [outputs, H] and {@code classifier.bias} [outputs], with dropout on its input during training. It is saved with
 * the adapter (PEFT's {@code modules_to_save}).
 */
public final class TaskHead extends HfLinear {
    /** The HF module name of the head. */
    public static final String NAME = dev.graft.peft.AdapterFiles.HEAD;
    private final float dropout;

    public TaskHead(int hidden, int outputs, float dropout) {
        super(hidden, outputs, true);
        this.dropout = dropout;
    }

    /**
     * @param pooled [B, H]
     * @return [B, outputs]
     */
    @Override
    public NDArray forward(NDArray pooled, boolean training) {
        NDArray x = training && dropout > 0
                ? pooled.getNDArrayInternal().dropout(pooled, dropout, true).singletonOrThrow() : pooled;
        return super.forward(x, training);
    }
}
