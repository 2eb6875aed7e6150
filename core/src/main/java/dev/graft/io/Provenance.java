package dev.graft.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;

/**
 * {@code graft_provenance.json}: enough to know where an artifact came from and to re-run it — Graft version, base
 * model and the SHA-256 of its weights, input files' SHA-256, the resolved configuration, seed, metrics, machine,
 * time.
 */
public final class Provenance {
    /** File name written beside every artifact. */
    public static final String FILE = "graft_provenance.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Provenance() {
    }

    /** Graft's version from the jar manifest, or "dev" when run from classes. */
    public static String graftVersion() {
        String v = Provenance.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** SHA-256 of a file, hex; streamed so multi-GiB files cost no memory. */
    public static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            byte[] buf = new byte[1 << 16];
            while (in.read(buf) >= 0) {
                // the digest stream hashes what passes through
            }
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new GraftException(file + ": cannot hash (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Builds the provenance record.
     *
     * @param kind        what the artifact is ("adapter", "merged-model", ...)
     * @param baseModel   base model id or directory
     * @param baseSha256  SHA-256 of the base weights
     * @param inputs      input files by role ("train", "eval") to their paths
     * @param config      the full resolved configuration
     * @param seed        the seed
     * @param metrics     final metrics (may be empty)
     */
    public static ObjectNode create(String kind, String baseModel, String baseSha256, Map<String, Path> inputs,
                                    Object config, long seed, Map<String, ?> metrics) {
        ObjectNode n = JSON.createObjectNode();
        n.put("graft_version", graftVersion());
        n.put("kind", kind);
        n.put("created", Instant.now().toString());
        ObjectNode base = n.putObject("base_model");
        base.put("id", baseModel);
        base.put("weights_sha256", baseSha256);
        ObjectNode in = n.putObject("inputs");
        inputs.forEach((role, path) -> {
            ObjectNode f = in.putObject(role);
            f.put("path", path.toString());
            f.put("sha256", sha256(path));
        });
        n.set("config", JSON.valueToTree(config));
        n.put("seed", seed);
        n.set("metrics", JSON.valueToTree(metrics));
        ObjectNode machine = n.putObject("machine");
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.put("arch", System.getProperty("os.arch"));
        machine.put("cpus", Runtime.getRuntime().availableProcessors());
        machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        machine.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        machine.put("jvm_uptime_ms", ManagementFactory.getRuntimeMXBean().getUptime());
        return n;
    }

    /** Writes the record into {@code dir}. */
    public static void write(Path dir, ObjectNode record) {
        try {
            AtomicFiles.write(dir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
        } catch (IOException e) {
            throw new GraftException(dir.resolve(FILE) + ": cannot write (" + e.getMessage() + ")", e);
        }
    }
}
