package dev.graft.model.nn;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Base of Graft's network modules: a DJL block whose parameters and sub-modules carry the names a Hugging Face
 * checkpoint uses, so that weights load by name and PEFT methods can target modules by their HF paths
 * (e.g. {@code encoder.layer.0.attention.self.query}).
 *
 * <p>DJL prefixes child block names with a counter ("01query"), so the HF naming is kept here, beside DJL's.
 */
public abstract class HfModule extends AbstractBlock {
    private final Map<String, HfModule> modules = new LinkedHashMap<>();
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Shape> shapes = new LinkedHashMap<>();

    /**
     * Registers a parameter under its local HF name (e.g. {@code weight}). The shape is kept here rather than in
     * the DJL parameter, because DJL lets an array be set only on a parameter without a declared shape.
     */
    protected final Parameter hfParameter(String name, Parameter.Type type, Shape shape) {
        Parameter p = Parameter.builder().setName(name).setType(type).build();
        params.put(name, addParameter(p));
        shapes.put(name, shape);
        return p;
    }

    /** Registers a sub-module under its local HF name (e.g. {@code attention}). */
    protected final <M extends HfModule> M hfChild(String name, M module) {
        modules.put(name, addChildBlock(name, module));
        return module;
    }

    /** Direct sub-modules by local HF name, in registration order. */
    public Map<String, HfModule> hfChildren() {
        return Collections.unmodifiableMap(modules);
    }

    /** Every parameter under this module by full HF name ({@code prefix} + local path). */
    public Map<String, Parameter> namedParameters(String prefix) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collectParameters(prefix, out);
        return out;
    }

    /** Every parameter under this module by HF name relative to it. */
    public Map<String, Parameter> namedParameters() {
        return namedParameters("");
    }

    /** Every module under this one (itself included, as "") by HF path relative to it. */
    public Map<String, HfModule> namedModules() {
        Map<String, HfModule> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    /** The declared shape of every parameter under this module by full HF name. */
    public Map<String, Shape> namedParameterShapes() {
        Map<String, Shape> out = new LinkedHashMap<>();
        collectShapes("", out);
        return out;
    }

    private void collectShapes(String prefix, Map<String, Shape> out) {
        shapes.forEach((n, s) -> out.put(join(prefix, n), s));
        modules.forEach((n, m) -> m.collectShapes(join(prefix, n), out));
    }

    private void collectParameters(String prefix, Map<String, Parameter> out) {
        params.forEach((n, p) -> out.put(join(prefix, n), p));
        modules.forEach((n, m) -> m.collectParameters(join(prefix, n), out));
    }

    private void collectModules(String prefix, Map<String, HfModule> out) {
        out.put(prefix, this);
        modules.forEach((n, m) -> m.collectModules(join(prefix, n), out));
    }

    private static String join(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    /** Sub-modules are called through their typed methods; the generic DJL path maps a single input. */
    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " is called through its typed forward method");
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
