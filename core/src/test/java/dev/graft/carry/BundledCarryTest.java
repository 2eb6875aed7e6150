package dev.graft.carry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import dev.graft.peft.AdapterFiles;
import dev.graft.train.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one test on real weights: two versions of BGE small share architecture, shapes and vocabulary, so a LoRA of one
 * carries to the other; the Chinese BGE has another vocabulary and is refused.
 */
class BundledCarryTest {
    @TempDir
    Path dir;

    @Test
    void bgeSmallEnCarriesToV15AndNotToTheChineseModel() {
        Path lora = CarryModels.adapter("bge-small-en", "lora", Task.CLASSIFICATION, 7, dir.resolve("lora"));
        Carry.Report r = Carry.of(lora).run("bge-small-en-v1.5", dir.resolve("v15"));
        assertEquals("bge-small-en", r.from());
        assertEquals("patch-transfer", r.strategy());
        assertEquals("bge-small-en-v1.5", AdapterFiles.baseModelOf(dir.resolve("v15")));
        GraftException e = assertThrows(GraftException.class, () -> Carry.of(lora).run("bge-small-zh", dir.resolve("zh")));
        assertTrue(e.getMessage().contains("config.json vocab_size is 21128 in bge-small-zh, 30522 in bge-small-en"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("zh")));
    }
}
