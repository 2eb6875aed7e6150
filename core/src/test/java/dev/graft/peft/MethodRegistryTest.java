package dev.graft.peft;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import dev.graft.peft.ia3.Ia3Config;
import dev.graft.peft.lst.LstConfig;
import dev.graft.peft.prefix.PrefixConfig;
import dev.graft.peft.prompt.PromptConfig;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** What every registered method declares is usable, and the typed configs name the key they reject. */
class MethodRegistryTest {
    @Test
    void everyMethodDeclaresALearningRateAndOptionsItReads() {
        for (PeftMethod m : PeftMethods.all()) {
            assertTrue(m.defaultLearningRate() > 0 && m.defaultLearningRate() < 1, m.name() + " learning rate");
            assertTrue(!m.reference().isBlank(), m.name() + " reference");
            for (MethodOption o : m.options()) {
                assertTrue(m.configKeys().contains(o.key()), m.name() + " " + o.flag() + " maps to a key it reads: " + o.key());
            }
        }
    }

    @Test
    void configRecordsNameTheBadKey() {
        rejects("num_virtual_tokens", () -> new PromptConfig(0, PromptConfig.RANDOM, 32));
        rejects("prompt_tuning_init", () -> new PromptConfig(4, "TEXT", 32));
        rejects("num_transformer_submodules", () -> new PrefixConfig(4, 32, 2, 4, 2, 32, true));
        rejects("encoder_hidden_size", () -> new PrefixConfig(4, 32, 1, 4, 2, 0, true));
        rejects("feedforward_modules", () -> new Ia3Config(List.of("key"), List.of("output.dense")));
        rejects("target_modules", () -> new Ia3Config(List.of(), List.of()));
        rejects("init", () -> new LstConfig(8, 1, 0.1, "zeros", false, 1024));
        rejects("gate_temperature", () -> new LstConfig(8, 1, 0, LstConfig.PRUNED, false, 1024));
        rejects("side_attention_heads", () -> new LstConfig(8, 0, 0.1, LstConfig.PRUNED, false, 1024));
    }

    private static void rejects(String key, Executable build) {
        GraftException e = assertThrows(GraftException.class, build);
        assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
    }
}
