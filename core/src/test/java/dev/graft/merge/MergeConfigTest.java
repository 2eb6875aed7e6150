package dev.graft.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.graft.GraftException;
import org.junit.jupiter.api.Test;

class MergeConfigTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static MergeConfig parse(String yaml) throws Exception {
        return MergeConfig.parse(YAML.readTree(yaml), "merge.yml");
    }

    @Test
    void readsMergekitShape() throws Exception {
        MergeConfig c = parse("""
                models:
                  - model: ./a
                    parameters: {weight: 0.3, density: [0.2, 0.6, 1.0]}
                  - model: ./base+./lora
                    parameters:
                      weight: [{filter: attention, value: 2}, {value: 1}]
                base_model: ./base
                merge_method: ties
                parameters: {lambda: 0.5, normalize: true}
                dtype: bfloat16
                """);
        assertEquals("ties", c.method());
        assertEquals("./lora", c.models().get(1).adapter());
        assertEquals("./base", c.models().get(1).model());
        ParamValue density = c.models().get(0).parameters().get("density");
        assertEquals(0.2, density.resolve("encoder.layer.0.x", 0, 5), 1e-12);
        assertEquals(0.4, density.resolve("encoder.layer.1.x", 1, 5), 1e-12); // x = 0.5 between 0.2 and 0.6
        assertEquals(1.0, density.resolve("encoder.layer.4.x", 4, 5), 1e-12);
        assertEquals(0.2, density.resolve("embeddings.word_embeddings.weight", -1, 5), 1e-12);
        assertEquals(1.0, density.resolve("pooler.dense.weight", -1, 5), 1e-12);
        ParamValue w = c.models().get(1).parameters().get("weight");
        assertEquals(2, w.resolve("encoder.layer.0.attention.self.query.weight", 0, 5), 0);
        assertEquals(1, w.resolve("encoder.layer.0.output.dense.weight", 0, 5), 0);
        assertEquals(1.0, c.parameters().get("normalize").resolve("x", -1, 1), 0);
        // round trip through the resolved YAML
        MergeConfig again = parse(c.toYaml());
        assertEquals(c.models().get(1).spec(), again.models().get(1).spec());
        assertEquals(0.4, again.models().get(0).parameters().get("density").resolve("encoder.layer.1.x", 1, 5), 1e-12);
    }

    @Test
    void reportsEveryProblemAtOnce() {
        GraftException e = assertThrows(GraftException.class, () -> parse("""
                models:
                  - model: ./a
                    parameters: {weight: abc, densty: 0.5}
                  - parameters: {weight: 1}
                merge_method: ties
                parameters: {lambda: [1, x]}
                dtype: float8
                seed: 1.5
                slices: []
                """));
        String m = e.getMessage();
        assertTrue(m.startsWith("merge.yml: 7 problems: "), m);
        for (String part : new String[] {"models[0].parameters.weight: expected a number", "models[0].parameters.densty: not a parameter",
            "models[1].model: missing", "parameters.lambda[1]: expected a number", "dtype: 'float8'", "slices: unknown key",
            "seed: expected an integer"}) {
            assertTrue(m.contains(part), "missing '" + part + "' in: " + m);
        }
        assertTrue(!m.contains("\n"), "one line");
    }

    @Test
    void unknownMethodAndModelCount() {
        GraftException e = assertThrows(GraftException.class, () -> parse("models: [a, b, c]\nmerge_method: slerpp\n"));
        assertTrue(e.getMessage().contains("merge_method: unknown 'slerpp'"), e.getMessage());
        e = assertThrows(GraftException.class, () -> parse("models: [a, b, c]\nmerge_method: slerp\n"));
        assertTrue(e.getMessage().contains("slerp takes 1..2 models, got 3"), e.getMessage());
        e = assertThrows(GraftException.class, () -> parse("merge_method: ties\n"));
        assertTrue(e.getMessage().contains("models: expected a non-empty list"), e.getMessage());
        e = assertThrows(GraftException.class, () -> parse("models: [a, b]\nmerge_method: fisher\n"));
        assertTrue(e.getMessage().contains("models[1].fisher: the fisher method needs"), e.getMessage());
    }
}
