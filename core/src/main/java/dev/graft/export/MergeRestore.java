package dev.graft.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import dev.graft.model.Encoder;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.HfModule;
import dev.graft.model.nn.LinearHook;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lets an export fold a method into the base weights ({@link dev.graft.peft.Adaptation#merge}) and then puts the
 * in-memory model back exactly as it was: the same base may serve other adapters, keep training, or run on PyTorch
 * after the export. Undoing a merge by subtracting the update is not bit-exact (rounding in {@code W + ΔW - ΔW}), so
 * this keeps copies of the original tensors and the hook lists instead.
 *
 * <p>What it copies: the weight and bias of every dense layer that carries a hook — the only tensors a merge changes
 * ({@code Adaptation.merge} promises that); methods whose trained tensors are the encoder's own (BitFit, full
 * fine-tuning) merge nothing. Costs one copy of the hooked layers while the graph is built.
 */
final class MergeRestore implements AutoCloseable {
    private final NDManager copies;
    private final Map<HfLinear, List<LinearHook>> hooks = new LinkedHashMap<>();
    private final List<Parameter> parameters = new ArrayList<>();
    private final List<NDArray> originals = new ArrayList<>();

    private MergeRestore(NDManager copies) {
        this.copies = copies;
    }

    /** Copies what a merge into {@code encoder} may change; {@link #close} restores it. */
    static MergeRestore capture(Encoder encoder) {
        MergeRestore r = null;
        for (HfModule m : encoder.namedModules().values()) {
            if (!(m instanceof HfLinear l) || l.hooks().isEmpty()) {
                continue;
            }
            if (r == null) {
                r = new MergeRestore(l.weight().getArray().getManager().newSubManager());
            }
            r.hooks.put(l, l.hooks());
            r.keep(l.weight());
            if (l.bias() != null) {
                r.keep(l.bias());
            }
        }
        return r != null ? r : new MergeRestore(null);
    }

    private void keep(Parameter p) {
        NDArray copy = p.getArray().duplicate();
        copy.attach(copies);
        parameters.add(p);
        originals.add(copy);
    }

    /** Writes the original values back into the same arrays (callers holding them see the restore) and re-adds the hooks. */
    @Override
    public void close() {
        for (int i = 0; i < parameters.size(); i++) {
            parameters.get(i).getArray().set(new NDIndex("..."), originals.get(i));
        }
        hooks.forEach((layer, list) -> {
            layer.hooks().forEach(layer::removeHook);
            list.forEach(layer::addHook);
        });
        if (copies != null) {
            copies.close();
        }
    }
}
