package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code graft methods} lists what the registry holds: every method once, with its own default and options. */
class MethodsCommandTest {
    @Test
    void listsEveryRegisteredMethodWithItsDefaults() throws Exception {
        CliTest.Run r = CliTest.run("methods", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode list = new ObjectMapper().readTree(r.out());
        Map<String, JsonNode> byName = new HashMap<>();
        list.forEach(m -> byName.put(m.get("name").asText(), m));
        assertEquals(PeftMethods.all().size(), byName.size(), "each method once");
        for (PeftMethod m : PeftMethods.all()) {
            JsonNode j = byName.get(m.name());
            assertEquals(m.defaultLearningRate(), j.get("default_learning_rate").asDouble(), 0, m.name());
            assertEquals(m.options().size(), j.get("options").size(), m.name());
        }
        assertEquals("fuse", byName.get("scalearn").get("command").asText());
        assertEquals("tune", byName.get("lora").get("command").asText());
        assertTrue(byName.get("lora").get("options").toString().contains("\"--r\""));

        CliTest.Run table = CliTest.run("methods");
        assertEquals(0, table.code(), table.err());
        assertTrue(table.out().contains("lora") && table.out().contains("--rslora"), table.out());
    }
}
