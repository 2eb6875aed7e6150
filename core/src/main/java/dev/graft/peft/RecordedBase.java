package dev.graft.peft;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.model.EncoderModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The base model an adapter (or a fine-tuned model directory) records it was trained on, and the check that it is
 * loaded onto that base: an adapter on another base computes something nobody trained, silently. The recorded base's
 * weights SHA-256 ({@code graft_provenance.json}'s {@code base_model.weights_sha256}) is compared with the actual
 * base's when both are known, else the recorded name with the actual one.
 *
 * <p>What a mismatch does is a {@link Policy}: warn (one line on the log, the default), refuse, or ignore. The
 * process-wide default is what {@code graft --strict} sets; library callers may pass their own.
 *
 * @param id     the recorded base model (id or directory), null if none is recorded
 * @param sha256 the recorded SHA-256 of its weights, null if unknown
 */
public record RecordedBase(String id, String sha256) {
    private static final Logger LOG = LoggerFactory.getLogger(RecordedBase.class);
    private static volatile Policy defaultPolicy = Policy.WARN;

    /** What to do when an adapter is loaded onto a base other than the one it records. */
    public enum Policy {
        /** Load it without a word (e.g. when carrying, where the mismatch is the point). */
        IGNORE,
        /** Load it and log a one-line warning naming both bases and their hashes. */
        WARN,
        /** Refuse with a {@link GraftException} naming both bases and their hashes. */
        REFUSE
    }

    /** The policy {@link #check(Path, EncoderModel)} applies: {@link Policy#WARN} unless set (graft's --strict). */
    public static Policy defaultPolicy() {
        return defaultPolicy;
    }

    /** Sets the process-wide policy (the CLI's {@code --strict} sets {@link Policy#REFUSE}). */
    public static void defaultPolicy(Policy policy) {
        defaultPolicy = policy == null ? Policy.WARN : policy;
    }

    /**
     * Reads what {@code dir} records: the base id as {@link AdapterFiles#baseModelOf} resolves it (for a model
     * directory, the provenance record's), and the provenance record's weights SHA-256 ("unknown" is null).
     */
    public static RecordedBase of(Path dir) {
        String id = Files.isRegularFile(dir.resolve(AdapterFiles.CONFIG)) || Files.isRegularFile(dir.resolve(AdapterFiles.TASK))
                ? AdapterFiles.baseModelOf(dir) : null;
        String sha = null;
        Path prov = dir.resolve(Provenance.FILE);
        if (Files.isRegularFile(prov)) {
            JsonNode p;
            try {
                p = AdapterFiles.readJson(prov);
            } catch (GraftException e) {
                LOG.warn("{} (ignored: the base model is checked by name)", e.getMessage());
                return new RecordedBase(id, null); // a damaged record must not stop the adapter from loading
            }
            String s = p.path("base_model").path("weights_sha256").asText("");
            sha = s.isBlank() || s.equals("unknown") ? null : s;
            if (id == null) {
                String v = p.path("base_model").path("id").asText("");
                id = v.isBlank() ? null : v;
            }
        }
        return new RecordedBase(id, sha);
    }

    /** True if nothing is recorded: no name, no hash. */
    public boolean unknown() {
        return id == null && sha256 == null;
    }

    /** As {@link #check(Path, EncoderModel, Policy)} with the {@link #defaultPolicy()}. */
    public static Optional<String> check(Path dir, EncoderModel base) {
        return check(dir, base, defaultPolicy);
    }

    /**
     * Compares the base {@code dir} records with {@code base} and applies {@code policy} to a mismatch.
     *
     * @return the one-line mismatch message (already logged under WARN), empty if they match or nothing is recorded
     * @throws GraftException under {@link Policy#REFUSE} when they differ
     */
    public static Optional<String> check(Path dir, EncoderModel base, Policy policy) {
        return check(dir, base.info().id(), base.bundled().map(b -> b.hfRepo()).orElse(null), base::weightsSha256, policy);
    }

    /**
     * As {@link #check(Path, EncoderModel, Policy)} for a base that is not loaded (e.g. a model directory a merge
     * streams from).
     *
     * @param actualId     the actual base's id or directory
     * @param alias        another name it goes by (a bundled model's Hugging Face repo), or null
     * @param actualSha256 computes its weights' SHA-256 ("unknown" if it cannot); called only if the adapter records one
     */
    public static Optional<String> check(Path dir, String actualId, String alias, Supplier<String> actualSha256, Policy policy) {
        if (policy == Policy.IGNORE) {
            return Optional.empty();
        }
        RecordedBase recorded = of(dir);
        if (recorded.unknown()) {
            return Optional.empty();
        }
        String actualSha = null;
        boolean differs;
        if (recorded.sha256() != null) {
            String s = actualSha256.get();
            actualSha = s == null || s.equals("unknown") ? null : s;
        }
        if (recorded.sha256() != null && actualSha != null) {
            differs = !recorded.sha256().equals(actualSha);
        } else if (recorded.id() != null) {
            differs = !sameName(recorded.id(), actualId) && (alias == null || !sameName(recorded.id(), alias));
        } else {
            differs = false; // only a hash is recorded and the actual one is unknown: nothing to compare
        }
        if (!differs) {
            return Optional.empty();
        }
        String msg = dir + ": trained on base " + describe(recorded.id(), recorded.sha256()) + " but loaded onto "
                + describe(actualId, actualSha) + "; its outputs may be wrong (graft carry moves an adapter to a new base"
                + (policy == Policy.REFUSE ? ")" : "; --strict refuses)");
        if (policy == Policy.REFUSE) {
            throw new GraftException(msg);
        }
        LOG.warn(msg);
        return Optional.of(msg);
    }

    /** {@code 'id' (weights sha256 0123456789ab…)}, the hash left out when unknown. */
    public static String describe(String id, String sha256) {
        return "'" + (id == null ? "unrecorded" : id) + "'" + (sha256 == null || sha256.equals("unknown") ? ""
                : " (weights sha256 " + sha256.substring(0, Math.min(12, sha256.length())) + "…)");
    }

    /** Equal names, or paths to the same existing directory. */
    private static boolean sameName(String a, String b) {
        if (a.equals(b)) {
            return true;
        }
        try {
            Path pa = Path.of(a);
            Path pb = Path.of(b);
            if (Files.isDirectory(pa) && Files.isDirectory(pb)) {
                return pa.toRealPath().equals(pb.toRealPath());
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return false;
    }
}
