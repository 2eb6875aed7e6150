package dev.graft.peft.adapter;

import ai.djl.nn.Parameter;
import dev.graft.model.nn.HfLinear;
import java.util.Map;

/**
 * A bottleneck adapter and the dense layer whose output it changes.
 *
 * @param name    the adapter's module path, e.g. {@code encoder.layer.0.output.adapter}; its parameters are saved as
 *                {@code name + ".down.weight"} and so on
 * @param site    the dense layer it follows, e.g. {@code encoder.layer.0.output.dense}
 * @param adapter the module
 */
public record PlacedAdapter(String name, HfLinear site, BottleneckAdapter adapter) {
    /** The adapter's parameters by saved name. */
    public Map<String, Parameter> parameters() {
        return adapter.parameters(name + ".");
    }
}
