package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.ServeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** graft serve's flags (the server itself is tested in the server module over HTTP). */
class ServeCommandTest {
    @TempDir
    Path dir;

    private static ServeConfig parse(String... args) {
        ServeCommand c = new ServeCommand();
        new CommandLine(c).parseArgs(args);
        return c.config();
    }

    @Test
    void defaultsFollowTei() {
        ServeConfig c = parse("--model", "all-minilm-l6-v2");
        assertEquals("127.0.0.1", c.host());
        assertEquals(8080, c.port());
        assertEquals(16384, c.maxBatchTokens());
        assertEquals(32, c.maxBatchRequests());
        assertEquals(Duration.ofMillis(2), c.maxWait());
        assertEquals(512, c.maxConcurrentRequests());
        assertEquals(32, c.maxClientBatchSize());
        assertEquals(2L * 1024 * 1024, c.payloadLimit());
        assertEquals(null, c.apiKey());
    }

    @Test
    void flagsAreParsed() throws Exception {
        Path key = dir.resolve("key");
        Files.writeString(key, "  tok3n\n");
        ServeConfig c = parse("--model", "m", "--adapters", dir.toString(), "--host", "0.0.0.0", "--port", "0",
                "--api-key-file", key.toString(), "--max-batch-tokens", "4096", "--max-batch-requests", "8",
                "--max-wait", "500us", "--max-concurrent-requests", "64", "--max-client-batch-size", "4",
                "--payload-limit", "512KB", "--max-loaded-adapters", "3", "--preload", "a,b", "--auto-truncate");
        assertEquals("tok3n", c.apiKey());
        assertEquals(Duration.ofNanos(500_000), c.maxWait());
        assertEquals(512 * 1024, c.payloadLimit());
        assertEquals(List.of("a", "b"), c.preload());
        assertEquals(3, c.maxLoadedAdapters());
        assertTrue(c.autoTruncate());
        assertEquals(Duration.ofSeconds(90), ServeCommand.duration("--x", "90s"));
        assertEquals(3L << 30, ServeCommand.bytes("--x", "3GB"));
    }

    @Test
    void badValuesAreUsageErrorsWithTheFlagNamed() {
        CliTest.Run r = CliTest.run("serve", "--model", "m", "--payload-limit", "lots");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--payload-limit"), r.err());
        r = CliTest.run("serve", "--model", "m", "--preload", "a,b", "--max-loaded-adapters", "1", "--adapters", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--preload"), r.err());
        CliTest.Run help = CliTest.run("serve", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--max-batch-tokens") && help.out().contains("/v1/embeddings"), help.out());
    }
}
