package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.runtime.Arrays2;
import dev.graft.runtime.Engines;
import dev.graft.testing.Fixtures;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link AdamW} against {@code torch.optim.AdamW}: six updates with changing learning rates, decoupled weight decay
 * on a weight but not on a bias or a layer-norm weight, bias-corrected moments. Reference values are in
 * {@code fixtures/optim.json}, written by {@code fixtures/optim_fixture.py}.
 */
class AdamWTest {
    @Test
    void updatesMatchPyTorch() {
        JsonNode f = Fixtures.json("optim.json").get("adamw");
        try (NDManager manager = Engines.newManager();
             AdamW adamw = new AdamW(manager, f.get("betas").get(0).asDouble(), f.get("betas").get(1).asDouble(),
                     f.get("eps").asDouble(), f.get("weight_decay").asDouble())) {
            Map<String, Parameter> params = new LinkedHashMap<>();
            for (Iterator<String> it = f.get("shapes").fieldNames(); it.hasNext(); ) {
                String name = it.next();
                Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).build();
                p.setArray(Arrays2.owned(manager, Fixtures.floats(f.get("initial").get(name)), shape(f, name)));
                params.put(name, p);
            }
            int step = 0;
            for (JsonNode s : f.get("steps")) {
                step++;
                try (NDManager scope = manager.newSubManager()) {
                    Map<String, NDArray> grads = new LinkedHashMap<>();
                    params.forEach((name, p) -> grads.put(name,
                            Arrays2.owned(scope, Fixtures.floats(s.get("gradients").get(name)), shape(f, name))));
                    adamw.step(params, grads, s.get("lr").asDouble());
                }
                for (Map.Entry<String, Parameter> e : params.entrySet()) {
                    float[] expected = Fixtures.floats(s.get("after").get(e.getKey()));
                    float[] got = e.getValue().getArray().toFloatArray();
                    for (int i = 0; i < expected.length; i++) {
                        // float32 arithmetic in a different order: a few ulps of weights of order 1
                        assertEquals(expected[i], got[i], 2e-6, "step " + step + " " + e.getKey() + "[" + i + "]");
                    }
                }
            }
            assertEquals(f.get("steps").size(), adamw.steps());
        }
    }

    private static Shape shape(JsonNode f, String name) {
        JsonNode dims = f.get("shapes").get(name);
        long[] s = new long[dims.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = dims.get(i).asLong();
        }
        return new Shape(s);
    }
}
