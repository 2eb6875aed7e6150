package dev.graft.peft.paralleladapter;

import static dev.graft.peft.adapter.AdapterTesting.TEXTS;
import static dev.graft.peft.adapter.AdapterTesting.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.model.EncoderModel;
import dev.graft.model.nn.HfLinear;
import dev.graft.peft.Adaptation;
import dev.graft.peft.PeftMethods;
import dev.graft.peft.adapter.AdapterSites;
import dev.graft.peft.adapter.AdapterTesting;
import dev.graft.peft.adapter.AdapterTesting.Spy;
import dev.graft.peft.adapter.NonLinearity;
import dev.graft.testing.TinyBert;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ParallelAdapterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ParallelAdapter method = new ParallelAdapter();

    @TempDir
    Path dir;

    @Test
    void registeredUnderNameAndPeftType() {
        assertInstanceOf(ParallelAdapter.class, PeftMethods.byName("parallel-adapter"));
        assertInstanceOf(ParallelAdapter.class, PeftMethods.byPeftType("PARALLEL_ADAPTER", "test"));
        assertEquals("https://arxiv.org/abs/2110.04366", method.reference());
    }

    @Test
    void defaultsAndIdempotentResolution() {
        try (EncoderModel m = TinyBert.create(dir, 1)) {
            ObjectNode c = method.resolveConfig(m.encoder(), JSON.createObjectNode());
            assertEquals(json("{\"bottleneck_size\":64,\"reduction_factor\":0.5,\"scaling\":4.0,\"non_linearity\":\"relu\"}"), c);
            assertEquals(c, method.resolveConfig(m.encoder(), c));
            ObjectNode rf = method.resolveConfig(m.encoder(), json("{\"reduction_factor\":4,\"scaling\":2}"));
            assertEquals(8, rf.get("bottleneck_size").asInt());
            assertEquals(2.0, rf.get("scaling").asDouble());
            assertEquals(rf, method.resolveConfig(m.encoder(), rf));
        }
    }

    @Test
    void savedNamesAndShapes() {
        try (EncoderModel m = TinyBert.create(dir, 1)) {
            try (Adaptation a = method.attach(m.encoder(), method.resolveConfig(m.encoder(), JSON.createObjectNode()),
                    m.manager(), 1)) {
                Map<String, Parameter> p = a.parameters();
                assertEquals(List.of(
                        "encoder.layer.0.output.parallel_adapter.down.weight", "encoder.layer.0.output.parallel_adapter.down.bias",
                        "encoder.layer.0.output.parallel_adapter.up.weight", "encoder.layer.0.output.parallel_adapter.up.bias",
                        "encoder.layer.1.output.parallel_adapter.down.weight", "encoder.layer.1.output.parallel_adapter.down.bias",
                        "encoder.layer.1.output.parallel_adapter.up.weight", "encoder.layer.1.output.parallel_adapter.up.bias"),
                        new ArrayList<>(p.keySet()));
                assertEquals(new Shape(64, 32), p.get("encoder.layer.0.output.parallel_adapter.down.weight").getArray().getShape());
                assertEquals(new Shape(64), p.get("encoder.layer.0.output.parallel_adapter.down.bias").getArray().getShape());
                assertEquals(new Shape(32, 64), p.get("encoder.layer.1.output.parallel_adapter.up.weight").getArray().getShape());
                assertEquals(new Shape(32), p.get("encoder.layer.1.output.parallel_adapter.up.bias").getArray().getShape());
                float[] down = p.get("encoder.layer.0.output.parallel_adapter.down.weight").getArray().toFloatArray();
                double bound = 1 / Math.sqrt(32);
                for (float v : down) {
                    assertTrue(Math.abs(v) <= bound, "Kaiming-uniform bound");
                }
                assertTrue(Arrays.stream(AdapterTesting.boxed(down)).distinct().count() > 100, "random, not constant");
            }
        }
    }

    @Test
    void adaptedModelEqualsBaseAtInit() {
        try (EncoderModel m = TinyBert.create(dir, 2)) {
            float[] base = AdapterTesting.lastHidden(m, TEXTS);
            try (Adaptation a = method.attach(m.encoder(), method.resolveConfig(m.encoder(), JSON.createObjectNode()),
                    m.manager(), 5)) {
                assertArrayEquals(base, AdapterTesting.lastHidden(m, TEXTS), "zero up-projection: exactly the base");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(NonLinearity.class)
    void addsScaledBranchOfTheFfnInputToTheFfnOutput(NonLinearity act) {
        try (EncoderModel m = TinyBert.create(dir, 4)) {
            List<AdapterSites.Layer> layers = AdapterSites.of(m.encoder(), "test");
            List<Spy> ffnIn = new ArrayList<>();
            List<Spy> before = new ArrayList<>();
            for (AdapterSites.Layer l : layers) {
                Spy in = new Spy();
                l.ffnInput().addHook(in);
                ffnIn.add(in);
                Spy out = new Spy();
                l.ffnOutput().addHook(out);
                before.add(out);
            }
            ObjectNode c = method.resolveConfig(m.encoder(), json("{\"bottleneck_size\":5,\"scaling\":2.5,"
                    + "\"non_linearity\":\"" + act.configName() + "\"}"));
            try (Adaptation a = method.attach(m.encoder(), c, m.manager(), 9)) {
                Random r = new Random(1);
                a.parameters().values().forEach(p -> AdapterTesting.randomize(p, r, 0.5));
                List<Spy> after = new ArrayList<>();
                for (AdapterSites.Layer l : layers) {
                    Spy out = new Spy();
                    l.ffnOutput().addHook(out);
                    after.add(out);
                }
                AdapterTesting.lastHidden(m, List.of("the cat sat on the mat", "good"));
                for (int i = 0; i < layers.size(); i++) {
                    String prefix = layers.get(i).prefix() + ".output.parallel_adapter.";
                    float[] x = ffnIn.get(i).inputs.get(0);
                    float[] y = before.get(i).outputs.get(0);
                    float[] adapted = after.get(i).outputs.get(0);
                    double maxDelta = 0;
                    for (int row = 0; row < x.length / 32; row++) {
                        float[] delta = reference(a.parameters(), prefix, act, Arrays.copyOfRange(x, row * 32, row * 32 + 32));
                        for (int k = 0; k < 32; k++) {
                            assertEquals(y[row * 32 + k] + 2.5f * delta[k], adapted[row * 32 + k], 1e-4,
                                    "layer " + i + " row " + row);
                            maxDelta = Math.max(maxDelta, Math.abs(delta[k]));
                        }
                    }
                    assertTrue(maxDelta > 1e-2, "the branch changes the output");
                }
            } finally {
                for (int i = 0; i < layers.size(); i++) {
                    layers.get(i).ffnInput().removeHook(ffnIn.get(i));
                    layers.get(i).ffnOutput().removeHook(before.get(i));
                }
            }
        }
    }

    private static float[] reference(Map<String, Parameter> p, String prefix, NonLinearity act, float[] x) {
        float[] z = AdapterTesting.dense(x, p.get(prefix + "down.weight").getArray().toFloatArray(),
                p.get(prefix + "down.bias").getArray().toFloatArray());
        for (int i = 0; i < z.length; i++) {
            z[i] = AdapterTesting.act(act, z[i]);
        }
        return AdapterTesting.dense(z, p.get(prefix + "up.weight").getArray().toFloatArray(),
                p.get(prefix + "up.bias").getArray().toFloatArray());
    }

    @Test
    void onlyAdapterParametersTrainAndTheyLearnTheTask() {
        try (EncoderModel m = AdapterTesting.tinyBert(dir, 6)) {
            AdapterTesting.assertOnlyAdaptationLearns(m, e -> method.attach(e.encoder(),
                    method.resolveConfig(e.encoder(), json("{\"bottleneck_size\":8}")), e.manager(), 1));
        }
    }

    @Test
    void closeRemovesTheHooksFromBothProjections() {
        try (EncoderModel m = TinyBert.create(dir, 8)) {
            float[] base = AdapterTesting.lastHidden(m, TEXTS);
            Adaptation a = method.attach(m.encoder(), method.resolveConfig(m.encoder(), JSON.createObjectNode()),
                    m.manager(), 2);
            Random r = new Random(3);
            a.parameters().values().forEach(p -> AdapterTesting.randomize(p, r, 0.3));
            assertFalse(Arrays.equals(base, AdapterTesting.lastHidden(m, TEXTS)));
            a.close();
            a.close();
            assertArrayEquals(base, AdapterTesting.lastHidden(m, TEXTS));
            for (AdapterSites.Layer l : AdapterSites.of(m.encoder(), "test")) {
                assertTrue(l.ffnInput().hooks().isEmpty());
                assertTrue(l.ffnOutput().hooks().isEmpty());
            }
        }
    }

    @Test
    void outputWithoutCapturedInputIsAnError() {
        try (EncoderModel m = TinyBert.create(dir, 1)) {
            try (Adaptation a = method.attach(m.encoder(), method.resolveConfig(m.encoder(), JSON.createObjectNode()),
                    m.manager(), 2)) {
                HfLinear out = AdapterSites.of(m.encoder(), "test").get(0).ffnOutput();
                try (var scope = m.manager().newSubManager()) {
                    NDArray inner = scope.ones(new Shape(1, 3, 64));
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> out.forward(inner, false));
                    assertTrue(e.getMessage().contains("encoder.layer.0"), e.getMessage());
                }
            }
        }
    }

    @Test
    void badOptionsNameTheKey() {
        try (EncoderModel m = TinyBert.create(dir, 1)) {
            String[][] cases = {
                {"{\"r\":8}", "[r]"},
                {"{\"scaling\":0}", "'scaling'"},
                {"{\"scaling\":-4}", "'scaling'"},
                {"{\"scaling\":\"learned\"}", "'scaling'"},
                {"{\"bottleneck_size\":0}", "'bottleneck_size'"},
                {"{\"bottleneck_size\":1.5}", "'bottleneck_size'"},
                {"{\"bottleneck_size\":\"64\"}", "'bottleneck_size'"},
                {"{\"reduction_factor\":0}", "'reduction_factor'"},
                {"{\"reduction_factor\":2,\"bottleneck_size\":64}", "disagree"},
                {"{\"non_linearity\":\"tanh\"}", "'non_linearity'"},
            };
            AdapterTesting.assertConfigsRefused(method, m, cases);
        }
    }
}
