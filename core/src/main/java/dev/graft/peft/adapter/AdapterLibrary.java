package dev.graft.peft.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.peft.AdapterFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A library of trained bottleneck adapters (method {@code adapter}, written by {@code graft tune --method adapter}) that
 * another method starts from: AdapterFusion and ScaLearn combine their outputs, MHR-μ averages their weights. Reading
 * checks that they can be used together: each is a {@code BOTTLENECK} adapter, all were trained on the same base model
 * (the base weights' SHA-256 in {@code graft_provenance.json} where every adapter has one, otherwise the
 * {@code base_model_name_or_path} of {@code adapter_config.json}) and all sit at the same sites ({@code mh_adapter},
 * {@code output_adapter}). Their task heads are ignored.
 */
public final class AdapterLibrary {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AdapterLibrary() {
    }

    /**
     * One source adapter as read from disk.
     *
     * @param dir        its directory
     * @param config     its placement and width
     * @param tensors    its adapter tensors by {@link PlacedAdapter#parameters()} name (head excluded)
     * @param sha256     SHA-256 of its {@code adapter_model.safetensors}
     * @param baseId     the base model it names ({@code base_model_name_or_path})
     * @param baseSha256 the base weights' SHA-256 from its provenance, or null when it has none
     */
    public record Source(Path dir, SequentialAdapterConfig config, Map<String, float[]> tensors, String sha256,
                         String baseId, String baseSha256) {
    }

    /**
     * Reads and cross-checks source adapters.
     *
     * @param dirs   adapter directories, at least one
     * @param hidden the encoder's hidden size H (for the configs' defaults)
     * @param option the config key they were given under, for messages
     * @throws GraftException naming the directory and what differs
     */
    public static List<Source> read(List<Path> dirs, int hidden, String option) {
        if (dirs.isEmpty()) {
            throw new GraftException("option '" + option + "' must list at least one adapter directory");
        }
        List<Source> out = new ArrayList<>();
        for (Path dir : dirs) {
            out.add(readOne(dir, hidden, option));
        }
        Source first = out.get(0);
        for (Source s : out.subList(1, out.size())) {
            if (!sameBase(first, s)) {
                throw new GraftException(s.dir() + ": trained on base model " + describeBase(s) + ", but " + first.dir()
                        + " on " + describeBase(first) + "; " + option + " must share the base model");
            }
            if (s.config().mhAdapter() != first.config().mhAdapter() || s.config().outputAdapter() != first.config().outputAdapter()) {
                throw new GraftException(s.dir() + ": adapter sites differ from " + first.dir() + " (" + sites(s.config())
                        + " vs " + sites(first.config()) + "); " + option + " must sit at the same places");
            }
        }
        return out;
    }

    /**
     * Refuses sources trained on another base than the one they are used with.
     *
     * @param baseId     the base model's id as adapters record it ({@code base_model_name_or_path})
     * @param baseSha256 its weights' SHA-256, or null/"unknown" if not known
     */
    public static void checkBase(List<Source> sources, String baseId, String baseSha256) {
        boolean haveSha = baseSha256 != null && !baseSha256.equals("unknown");
        for (Source s : sources) {
            boolean differs = haveSha && s.baseSha256() != null ? !s.baseSha256().equals(baseSha256) : !Objects.equals(s.baseId(), baseId);
            if (differs) {
                throw new GraftException(s.dir() + ": trained on base model " + describeBase(s) + ", not on " + baseId
                        + (haveSha ? " (weights sha256 " + baseSha256.substring(0, Math.min(12, baseSha256.length())) + ")" : ""));
            }
        }
    }

    private static Source readOne(Path dir, int hidden, String option) {
        if (!Files.isDirectory(dir)) {
            throw new GraftException(dir + ": " + option + " adapter directory does not exist");
        }
        ObjectNode config = AdapterFiles.readConfig(dir);
        String type = config.path("peft_type").asText("");
        String method = config.path("graft_method").asText("adapter");
        if (!type.equalsIgnoreCase("BOTTLENECK") || !method.equals("adapter")) {
            throw new GraftException(dir.resolve(AdapterFiles.CONFIG) + ": " + option + " must be bottleneck adapters (graft tune --method adapter), "
                    + "this one has peft_type '" + type + "'" + (config.has("graft_method") ? " (method '" + method + "')" : ""));
        }
        SequentialAdapterConfig c = SequentialAdapterConfig.parse(config, hidden);
        String baseSha = null;
        Path prov = dir.resolve(Provenance.FILE);
        if (Files.isRegularFile(prov)) {
            try {
                JsonNode p = JSON.readTree(prov.toFile());
                String s = p.path("base_model").path("weights_sha256").asText("");
                baseSha = s.isEmpty() || s.equals("unknown") ? null : s;
            } catch (IOException e) {
                throw new GraftException(prov + ": not valid JSON (" + e.getMessage() + ")", e);
            }
        }
        return new Source(dir, c, AdapterFiles.readAdapterTensors(dir), Provenance.sha256(dir.resolve(AdapterFiles.WEIGHTS)),
                config.path("base_model_name_or_path").asText(""), baseSha);
    }

    private static boolean sameBase(Source a, Source b) {
        if (a.baseSha256() != null && b.baseSha256() != null) {
            return a.baseSha256().equals(b.baseSha256());
        }
        return a.baseId().equals(b.baseId());
    }

    private static String describeBase(Source s) {
        return "'" + s.baseId() + "'" + (s.baseSha256() == null ? "" : " (weights sha256 " + s.baseSha256().substring(0, Math.min(12, s.baseSha256().length())) + ")");
    }

    private static String sites(SequentialAdapterConfig c) {
        return (c.mhAdapter() ? "attention output" : "") + (c.mhAdapter() && c.outputAdapter() ? " + " : "")
                + (c.outputAdapter() ? "FFN output" : "");
    }

    /**
     * Copies a source's tensors into freshly created adapters (same placement), checking names and sizes.
     *
     * @param adapters adapters created by {@link SequentialAdapters#createAdapters} with the source's config
     */
    public static void load(Source source, List<PlacedAdapter> adapters) {
        for (PlacedAdapter a : adapters) {
            for (Map.Entry<String, ai.djl.nn.Parameter> e : a.parameters().entrySet()) {
                float[] v = source.tensors().get(e.getKey());
                if (v == null) {
                    throw new GraftException(source.dir().resolve(AdapterFiles.WEIGHTS) + ": tensor '" + e.getKey() + "' is missing");
                }
                if (v.length != e.getValue().getArray().size()) {
                    throw new GraftException(source.dir().resolve(AdapterFiles.WEIGHTS) + ": tensor '" + e.getKey() + "' has "
                            + v.length + " values, expected " + e.getValue().getArray().getShape() + " for this base model");
                }
                dev.graft.runtime.Arrays2.assign(e.getValue().getArray(), v);
            }
        }
    }
}
