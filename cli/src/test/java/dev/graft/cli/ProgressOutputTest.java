package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progress where stderr is no terminal (here, as in CI, a buffer): a plain line per tenth of the work, no
 * carriage-return frames; nothing with --quiet.
 */
class ProgressOutputTest {
    @TempDir
    Path dir;

    /** Runs graft with System.err captured (progress writes there, not to picocli's writer); returns stderr. */
    private String stderrOf(String... args) {
        assertNull(System.console(), "the test JVM's stderr is not a terminal");
        PrintStream original = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            System.setErr(capture);
            CliTest.Run r = CliTest.run(args);
            assertEquals(0, r.code(), r.err());
        } finally {
            System.setErr(original);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }

    @Test
    void withoutATerminalProgressIsAFewPlainLines() throws Exception {
        Path model = CliTest.tinyModel(dir);
        Path input = dir.resolve("texts.txt");
        List<String> words = List.of("the cat sat", "a good movie", "python or java", "red and blue", "i love you");
        Files.writeString(input, IntStream.range(0, 2000).mapToObj(i -> words.get(i % words.size()) + " " + i)
                .collect(Collectors.joining("\n")));
        String[] embed = {"embed", "--model", model.toString(), "--input", input.toString(), "--max-length", "16",
            "--output", dir.resolve("v.npy").toString()};

        String err = stderrOf(embed);
        assertFalse(err.contains("\r"), "no carriage-return frames");
        List<String> progress = err.lines().filter(l -> l.startsWith("embedding: ")).toList();
        assertTrue(progress.size() >= 1 && progress.size() <= 11, err);
        assertTrue(progress.get(progress.size() - 1).matches("embedding: 100% \\(2000/2000\\) \\d+\\.\\d s"), err);

        String[] quiet = new String[embed.length + 1];
        quiet[0] = "--quiet";
        System.arraycopy(embed, 0, quiet, 1, embed.length);
        assertEquals("", stderrOf(quiet).strip(), "--quiet: no progress");
    }
}
