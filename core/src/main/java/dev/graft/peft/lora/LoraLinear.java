package dev.graft.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.LinearHook;
import dev.graft.runtime.Arrays2;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The LoRA update on one dense layer: {@code y + s·B(A(dropout(x)))} with A [r, in] and B [out, r]. B starts at zero,
 * so the adapted layer starts equal to the base. DoRA is a {@link DoraVariant} plugged in here.
 */
final class LoraLinear implements LinearHook {
    private final String path;
    private final HfLinear layer;
    private final Parameter a;
    private final Parameter b;
    private final float scaling;
    private final float dropout;
    private final DoraVariant dora;

    LoraLinear(String path, HfLinear layer, LoraConfig config, NDManager manager, Random random) {
        this.path = path;
        this.layer = layer;
        int in = layer.inFeatures();
        int out = layer.outFeatures();
        this.scaling = (float) config.scaling();
        this.dropout = (float) config.dropout();
        // A: Kaiming-uniform with a = √5, as PEFT and nn.Linear initialise it: U(-1/√in, 1/√in)
        float bound = (float) (1 / Math.sqrt(in));
        float[] av = new float[config.r() * in];
        for (int i = 0; i < av.length; i++) {
            av[i] = (random.nextFloat() * 2 - 1) * bound;
        }
        a = Parameter.builder().setName("lora_A").setType(Parameter.Type.WEIGHT).build();
        a.setArray(Arrays2.owned(manager, av, new Shape(config.r(), in)));
        b = Parameter.builder().setName("lora_B").setType(Parameter.Type.WEIGHT).build();
        b.setArray(manager.zeros(new Shape(out, config.r())));
        dora = config.dora() ? new DoraVariant(layer, manager) : null;
    }

    @Override
    public NDArray afterLinear(HfLinear l, NDArray x, NDArray y, boolean training) {
        NDArray input = training && dropout > 0 ? x.getNDArrayInternal().dropout(x, dropout, true).singletonOrThrow() : x;
        NDArray down = Linear.linear(input, a.getArray(), null).singletonOrThrow();
        NDArray update = Linear.linear(down, b.getArray(), null).singletonOrThrow();
        down.close();
        NDArray out;
        if (dora != null) {
            NDArray delta = deltaWeight();
            delta.attach(x.getManager()); // a per-batch temporary, not a parameter-lifetime array
            out = dora.apply(input, y, update, delta, scaling);
        } else {
            out = y.add(update.muli(Arrays2.scalar(update.getManager(), scaling)));
        }
        update.close();
        if (input != x) {
            input.close();
        }
        return out;
    }

    /** s·B·A, [out, in]. */
    NDArray deltaWeight() {
        return b.getArray().matMul(a.getArray()).muli(scaling);
    }

    /** Parameters under PEFT's names: {@code <path>.lora_A.weight}, {@code <path>.lora_B.weight}, DoRA's magnitude. */
    Map<String, Parameter> parameters() {
        Map<String, Parameter> p = new LinkedHashMap<>();
        p.put(path + ".lora_A.weight", a);
        p.put(path + ".lora_B.weight", b);
        if (dora != null) {
            p.put(path + ".lora_magnitude_vector.weight", dora.magnitude());
        }
        return p;
    }

    /** Folds the update into the layer's weight (in place) and removes this hook. */
    void merge() {
        try (NDManager scope = a.getArray().getManager().newSubManager()) {
            NDArray delta = deltaWeight();
            delta.attach(scope);
            NDArray w = layer.weight().getArray();
            if (dora != null) {
                NDArray merged = w.add(delta);
                merged.attach(scope);
                NDArray scale = dora.scale(merged).expandDims(1); // [out, 1]
                scale.attach(scope);
                w.set(new ai.djl.ndarray.index.NDIndex("..."), merged.mul(scale));
            } else {
                w.addi(delta);
            }
        }
        layer.removeHook(this);
    }

    /** Subtracts a plain-LoRA update folded by {@link #merge} and re-installs the hook. */
    void unmerge() {
        if (dora != null) {
            throw new UnsupportedOperationException("DoRA merges are not reversible exactly; reload the base model");
        }
        try (NDArray delta = deltaWeight()) {
            layer.weight().getArray().subi(delta);
        }
        layer.addHook(this);
    }

    /** Whether this hook is on its layer (false after {@link #merge}). */
    boolean installed() {
        return layer.hooks().contains(this);
    }

    HfLinear layer() {
        return layer;
    }
}
