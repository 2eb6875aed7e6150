package dev.graft.peft.adapter;

import static dev.graft.peft.adapter.AdapterTesting.json;
import static dev.graft.peft.adapter.AdapterTesting.TEXTS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.model.EncoderModel;
import dev.graft.model.nn.HfLinear;
import dev.graft.peft.adapter.AdapterTesting.Spy;
import dev.graft.peft.PeftMethods;
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
import org.junit.jupiter.params.provider.ValueSource;

class SequentialAdaptersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final SequentialAdapters method = new SequentialAdapters();

    @TempDir
    Path dir;

    @Test
    void registeredUnderNameAndPeftType() {
        assertInstanceOf(SequentialAdapters.class, PeftMethods.byName("adapter"));
        assertInstanceOf(SequentialAdapters.class, PeftMethods.byPeftType("BOTTLENECK", "test"));
        assertTrue(method.reference().contains("1902.00751") && method.reference().contains("2005.00247"));
    }

    @Test
    void defaultsArePfeifferWithReductionFactor16AndRelu() {
        try (EncoderModel m = TinyBert.create(dir, 1)) {
            ObjectNode c = method.resolveConfig(m.encoder(), JSON.createObjectNode());
            assertEquals(json("{\"config\":\"pfeiffer\",\"mh_adapter\":false,\"output_adapter\":true,"
                    + "\"bottleneck_size\":2,\"reduction_factor\":16,\"non_linearity\":\"relu\"}"), c);
            ObjectNode h = method.resolveConfig(m.encoder(), json("{\"config\":\"HOULSBY\",\"bottleneck_size\":5,"
                    + "\"non_linearity\":\"silu\"}"));
            assertEquals("houlsby", h.get("config").asText());
            assertTrue(h.get("mh_adapter").asBoolean());
            assertEquals(5, h.get("bottleneck_size").asInt());
            assertEquals(6.4, h.get("reduction_factor").asDouble(), 1e-12);
            assertEquals("swish", h.get("non_linearity").asText());
            // a resolved config resolves to itself (the file reader may pass it back in)
            assertEquals(c, method.resolveConfig(m.encoder(), c));
            assertEquals(h, method.resolveConfig(m.encoder(), h));
            ObjectNode rf = method.resolveConfig(m.encoder(), json("{\"reduction_factor\":3}"));
            assertEquals(10, rf.get("bottleneck_size").asInt());
            assertEquals(3, rf.get("reduction_factor").asInt());
            assertEquals(rf, method.resolveConfig(m.encoder(), rf));
        }
    }

    @Test
    void savedNamesAndShapes() {
        try (EncoderModel m = TinyBert.create(dir, 1)) {
            ObjectNode pc = method.resolveConfig(m.encoder(), json("{\"bottleneck_size\":4}"));
            try (var a = method.attach(m.encoder(), pc, m.manager(), 3)) {
                Map<String, Parameter> p = a.parameters();
                assertEquals(List.of(
                        "encoder.layer.0.output.adapter.down.weight", "encoder.layer.0.output.adapter.down.bias",
                        "encoder.layer.0.output.adapter.up.weight", "encoder.layer.0.output.adapter.up.bias",
                        "encoder.layer.1.output.adapter.down.weight", "encoder.layer.1.output.adapter.down.bias",
                        "encoder.layer.1.output.adapter.up.weight", "encoder.layer.1.output.adapter.up.bias"),
                        new ArrayList<>(p.keySet()));
                assertEquals(new Shape(4, 32), p.get("encoder.layer.0.output.adapter.down.weight").getArray().getShape());
                assertEquals(new Shape(4), p.get("encoder.layer.0.output.adapter.down.bias").getArray().getShape());
                assertEquals(new Shape(32, 4), p.get("encoder.layer.1.output.adapter.up.weight").getArray().getShape());
                assertEquals(new Shape(32), p.get("encoder.layer.1.output.adapter.up.bias").getArray().getShape());
                assertTrue(p.values().stream().allMatch(x -> x.getArray().hasGradient()));
            }
            ObjectNode hc = method.resolveConfig(m.encoder(), json("{\"config\":\"houlsby\"}"));
            try (var a = method.attach(m.encoder(), hc, m.manager(), 3)) {
                assertEquals(16, a.parameters().size());
                assertTrue(a.parameters().containsKey("encoder.layer.1.attention.output.adapter.up.weight"));
                assertEquals(2 * 2 * (2 * 32 * 2 + 2 + 32),
                        a.parameters().values().stream().mapToLong(x -> x.getArray().size()).sum());
                assertEquals("encoder.layer.0.attention.output.adapter", a.adapters().get(0).name());
                assertEquals(m.encoder().namedModules().get("encoder.layer.0.attention.output.dense"), a.adapters().get(0).site());
            }
            ObjectNode mhOnly = method.resolveConfig(m.encoder(), json("{\"mh_adapter\":true,\"output_adapter\":false}"));
            try (var a = method.attach(m.encoder(), mhOnly, m.manager(), 3)) {
                assertTrue(a.parameters().keySet().stream().allMatch(k -> k.contains(".attention.output.adapter.")));
                assertEquals(8, a.parameters().size());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pfeiffer", "houlsby"})
    void adaptedModelEqualsBaseAtInit(String config) {
        try (EncoderModel m = TinyBert.create(dir, 2)) {
            float[] base = AdapterTesting.lastHidden(m, TEXTS);
            ObjectNode c = method.resolveConfig(m.encoder(), json("{\"config\":\"" + config + "\"}"));
            try (var a = method.attach(m.encoder(), c, m.manager(), 5)) {
                assertArrayEquals(base, AdapterTesting.lastHidden(m, TEXTS), "zero up-projection: exactly the base");
                float[] down = a.parameters().get("encoder.layer.0.output.adapter.down.weight").getArray().toFloatArray();
                assertTrue(Arrays.stream(AdapterTesting.boxed(down)).anyMatch(v -> v != 0f), "down-projection is random");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(NonLinearity.class)
    void eachSiteAddsUpActDownOfTheDenseOutput(NonLinearity act) {
        try (EncoderModel m = TinyBert.create(dir, 4)) {
            ObjectNode c = method.resolveConfig(m.encoder(),
                    json("{\"config\":\"houlsby\",\"bottleneck_size\":3,\"non_linearity\":\"" + act.configName() + "\"}"));
            List<Spy> before = new ArrayList<>();
            List<HfLinear> sites = new ArrayList<>();
            for (AdapterSites.Layer l : AdapterSites.of(m.encoder(), "test")) {
                for (HfLinear s : List.of(l.attentionOutput(), l.ffnOutput())) {
                    Spy spy = new Spy();
                    s.addHook(spy);
                    before.add(spy);
                    sites.add(s);
                }
            }
            try (var a = method.attach(m.encoder(), c, m.manager(), 9)) {
                Random r = new Random(1);
                a.parameters().values().forEach(p -> AdapterTesting.randomize(p, r, 0.5));
                List<Spy> after = new ArrayList<>();
                for (HfLinear s : sites) {
                    Spy spy = new Spy();
                    s.addHook(spy);
                    after.add(spy);
                }
                AdapterTesting.lastHidden(m, List.of("the cat sat on the mat", "good"));
                assertEquals(4, a.adapters().size());
                for (int i = 0; i < sites.size(); i++) {
                    BottleneckAdapter adapter = a.adapters().get(i).adapter();
                    assertEquals(sites.get(i), a.adapters().get(i).site());
                    float[] y = before.get(i).outputs.get(0);
                    float[] adapted = after.get(i).outputs.get(0);
                    int rows = y.length / 32;
                    double maxDelta = 0;
                    for (int row = 0; row < rows; row++) {
                        float[] h = Arrays.copyOfRange(y, row * 32, row * 32 + 32);
                        float[] delta = AdapterTesting.reference(adapter, h);
                        for (int k = 0; k < 32; k++) {
                            assertEquals(h[k] + delta[k], adapted[row * 32 + k], 1e-5, "site " + i + " row " + row);
                            maxDelta = Math.max(maxDelta, Math.abs(delta[k]));
                        }
                    }
                    assertTrue(maxDelta > 1e-2, "the adapter changes the output");
                }
            } finally {
                for (int i = 0; i < sites.size(); i++) {
                    sites.get(i).removeHook(before.get(i));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pfeiffer", "houlsby"})
    void onlyAdapterParametersTrainAndTheyLearnTheTask(String config) {
        try (EncoderModel m = AdapterTesting.tinyBert(dir, 6)) {
            AdapterTesting.assertOnlyAdaptationLearns(m, e -> method.attach(e.encoder(),
                    method.resolveConfig(e.encoder(), json("{\"config\":\"" + config + "\",\"bottleneck_size\":8}")), e.manager(), 1));
        }
    }

    @Test
    void closeRemovesTheHooks() {
        try (EncoderModel m = TinyBert.create(dir, 8)) {
            float[] base = AdapterTesting.lastHidden(m, TEXTS);
            ObjectNode c = method.resolveConfig(m.encoder(), json("{\"config\":\"houlsby\"}"));
            var a = method.attach(m.encoder(), c, m.manager(), 2);
            Random r = new Random(3);
            a.parameters().values().forEach(p -> AdapterTesting.randomize(p, r, 0.3));
            float[] adapted = AdapterTesting.lastHidden(m, TEXTS);
            assertFalse(Arrays.equals(base, adapted), "trained adapters change the output");
            a.close();
            a.close(); // idempotent
            assertArrayEquals(base, AdapterTesting.lastHidden(m, TEXTS));
            for (AdapterSites.Layer l : AdapterSites.of(m.encoder(), "test")) {
                assertTrue(l.attentionOutput().hooks().isEmpty());
                assertTrue(l.ffnOutput().hooks().isEmpty());
            }
        }
    }

    @Test
    void sameSeedSameAdaptersDifferentSeedDifferent() {
        try (EncoderModel m = TinyBert.create(dir, 1)) {
            SequentialAdapterConfig c = SequentialAdapterConfig.parse(JSON.createObjectNode(), 32);
            String key = "encoder.layer.1.output.adapter.down.weight";
            float[] a = SequentialAdapters.createAdapters(m.encoder(), c, m.manager(), 7).get(1).parameters()
                    .get(key).getArray().toFloatArray();
            float[] b = SequentialAdapters.createAdapters(m.encoder(), c, m.manager(), 7).get(1).parameters()
                    .get(key).getArray().toFloatArray();
            float[] d = SequentialAdapters.createAdapters(m.encoder(), c, m.manager(), 8).get(1).parameters()
                    .get(key).getArray().toFloatArray();
            assertArrayEquals(a, b);
            assertFalse(Arrays.equals(a, d));
            // createAdapters installs nothing
            assertTrue(AdapterSites.of(m.encoder(), "test").get(1).ffnOutput().hooks().isEmpty());
        }
    }

    @Test
    void badOptionsNameTheKey() {
        try (EncoderModel m = TinyBert.create(dir, 1)) {
            String[][] cases = {
                {"{\"reduction\":16}", "reduction"},
                {"{\"config\":\"lora\"}", "'config'"},
                {"{\"config\":3}", "'config'"},
                {"{\"reduction_factor\":0}", "'reduction_factor'"},
                {"{\"reduction_factor\":-2}", "'reduction_factor'"},
                {"{\"reduction_factor\":\"16\"}", "'reduction_factor'"},
                {"{\"reduction_factor\":64}", "'reduction_factor'"},
                {"{\"bottleneck_size\":0}", "'bottleneck_size'"},
                {"{\"bottleneck_size\":2.5}", "'bottleneck_size'"},
                {"{\"bottleneck_size\":8,\"reduction_factor\":16}", "disagree"},
                {"{\"non_linearity\":\"tanh\"}", "'non_linearity'"},
                {"{\"non_linearity\":1}", "'non_linearity'"},
                {"{\"mh_adapter\":\"yes\"}", "'mh_adapter'"},
                {"{\"output_adapter\":false}", "'output_adapter'"},
            };
            AdapterTesting.assertConfigsRefused(method, m, cases);
        }
    }
}
