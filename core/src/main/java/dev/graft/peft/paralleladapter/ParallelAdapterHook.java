package dev.graft.peft.paralleladapter;

import ai.djl.ndarray.NDArray;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.OnnxExport;
import dev.graft.model.nn.OnnxLinearHook;
import dev.graft.peft.adapter.BottleneckAdapter;

/**
 * One layer's parallel adapter, installed on both of the layer's FFN projections: on {@code intermediate.dense} it
 * records the FFN's input x; on {@code output.dense} it adds {@code s·up(act(down(x)))} to the FFN's output (before
 * dropout, residual and LayerNorm).
 *
 * <p>The input is taken in {@code afterLinear}, whose {@code x} is the layer's original input, so another method's
 * {@code beforeLinear} hook on the same layer cannot change what the adapter sees. It is kept per thread, so that
 * threads may run the same adapted encoder at once, and dropped once used, so that it does not outlive its batch.
 */
final class ParallelAdapterHook implements OnnxLinearHook {
    private final String layerPath;
    private final HfLinear ffnInput;
    private final HfLinear ffnOutput;
    private final BottleneckAdapter adapter;
    private final float scaling;
    private final ThreadLocal<NDArray> input = new ThreadLocal<>();

    /** The FFN input's value name while a graph is exported (export runs on one thread, layer by layer). */
    private String exportedInput;

    ParallelAdapterHook(String layerPath, HfLinear ffnInput, HfLinear ffnOutput, BottleneckAdapter adapter, float scaling) {
        this.layerPath = layerPath;
        this.ffnInput = ffnInput;
        this.ffnOutput = ffnOutput;
        this.adapter = adapter;
        this.scaling = scaling;
    }

    @Override
    public NDArray afterLinear(HfLinear layer, NDArray x, NDArray y, boolean training) {
        if (layer == ffnInput) {
            input.set(x);
            return y;
        }
        if (layer != ffnOutput) {
            throw new IllegalStateException("parallel adapter of " + layerPath + " attached to a foreign layer");
        }
        NDArray ffnIn = input.get();
        if (ffnIn == null) {
            throw new IllegalStateException("parallel adapter of " + layerPath
                    + ": output.dense ran without intermediate.dense before it in this thread");
        }
        input.remove();
        // y first so the sum stays in the batch's manager; out of place, autograd keeps y and the branch intact
        NDArray branch = adapter.forward(ffnIn);
        return y.add(branch.mul(dev.graft.runtime.Arrays2.scalar(branch.getManager(), scaling))); // owned scalar: see Arrays2.scalar
    }

    /** The graph form of {@link #afterLinear}. */
    @Override
    public String exportAfterLinear(OnnxExport export, HfLinear layer, String x, String y) {
        if (layer == ffnInput) {
            exportedInput = x;
            return y;
        }
        if (layer != ffnOutput || exportedInput == null) {
            throw new IllegalStateException("parallel adapter of " + layerPath + ": output.dense exported before intermediate.dense");
        }
        var g = export.graph();
        String branch = adapter.exportForward(export, layerPath + ".output.parallel_adapter", exportedInput);
        exportedInput = null;
        return g.add(y, g.mul(branch, g.scalar(scaling)));
    }

    void install() {
        ffnInput.addHook(this);
        ffnOutput.addHook(this);
    }

    void remove() {
        ffnInput.removeHook(this);
        ffnOutput.removeHook(this);
        input.remove();
    }
}
