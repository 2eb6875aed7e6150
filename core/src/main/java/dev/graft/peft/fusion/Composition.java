package dev.graft.peft.fusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import dev.graft.io.Provenance;
import dev.graft.model.Encoder;
import dev.graft.peft.AdapterFiles;
import dev.graft.peft.PeftConfigs;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.adapter.AdapterLibrary;
import dev.graft.peft.adapter.PlacedAdapter;
import dev.graft.peft.adapter.SequentialAdapters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The shared part of the two-stage transfer methods (AdapterFusion, ScaLearn and its variants): N frozen source
 * bottleneck adapters (method {@code adapter}) run side by side at every adapter site, and a small trained combination
 * merges their outputs. Only the combination's parameters (and the target task's head) train.
 *
 * <p>Config keys: {@code sources}, the source adapter directories (order matters: it is the N axis of every combination
 * tensor), and {@code sources_sha256}, the SHA-256 of each source's {@code adapter_model.safetensors}, filled in when
 * the config is resolved and checked whenever it is given. Saving copies the sources into {@code sources/<i>/} of
 * the adapter directory and writes {@code sources} relative to it, so the directory is self-contained; loading resolves
 * them there and refuses a source whose hash differs from the one recorded in {@code adapter_config.json} or in
 * {@code graft_provenance.json} ({@code sources[i].sha256}).
 */
public abstract class Composition implements PeftMethod {
    public static final String SOURCES = "sources";
    public static final String SOURCES_SHA256 = "sources_sha256";
    /** Directory, inside a saved composition, holding copies of the source adapters. */
    public static final String SOURCES_DIR = "sources";
    static final Set<String> KEYS = Set.of(SOURCES, SOURCES_SHA256);
    private static final List<String> COPIED = List.of(AdapterFiles.CONFIG, AdapterFiles.WEIGHTS, AdapterFiles.TASK, Provenance.FILE);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Set<String> configKeys() {
        return KEYS;
    }

    @Override
    public ObjectNode resolveConfig(Encoder encoder, ObjectNode overrides) {
        PeftConfigs.rejectUnknown(overrides, KEYS, name());
        if (!overrides.hasNonNull(SOURCES)) {
            throw new GraftException(name() + ": option '" + SOURCES + "' (the source adapter directories) is required");
        }
        List<String> sources = PeftConfigs.strings(overrides, SOURCES);
        if (sources.isEmpty()) {
            throw new GraftException(name() + ": option '" + SOURCES + "' must list at least one adapter directory");
        }
        List<String> given = overrides.hasNonNull(SOURCES_SHA256) ? PeftConfigs.strings(overrides, SOURCES_SHA256) : null;
        if (given != null && given.size() != sources.size()) {
            throw new GraftException(name() + ": option '" + SOURCES_SHA256 + "' has " + given.size() + " entries for "
                    + sources.size() + " sources");
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode dirs = out.putArray(SOURCES);
        ArrayNode hashes = out.putArray(SOURCES_SHA256);
        for (int i = 0; i < sources.size(); i++) {
            Path dir = Path.of(sources.get(i)).toAbsolutePath().normalize();
            Path weights = dir.resolve(AdapterFiles.WEIGHTS);
            if (!Files.isRegularFile(weights)) {
                throw new GraftException(dir + ": no " + AdapterFiles.WEIGHTS + "; sources must be adapter directories");
            }
            String sha = Provenance.sha256(weights);
            if (given != null && !given.get(i).equalsIgnoreCase(sha)) {
                throw new GraftException(weights + ": SHA-256 " + sha + " differs from the recorded " + given.get(i)
                        + "; the source adapter changed since the composition was trained");
            }
            dirs.add(dir.toString());
            hashes.add(sha);
        }
        return out;
    }

    /** Copies the sources into {@code dir/sources/<i>/} and records them relative to {@code dir}. */
    @Override
    public ObjectNode saveFiles(ObjectNode config, Path dir) {
        List<String> sources = PeftConfigs.strings(config, SOURCES);
        ObjectNode out = config.deepCopy();
        ArrayNode rel = out.putArray(SOURCES);
        for (int i = 0; i < sources.size(); i++) {
            Path from = Path.of(sources.get(i)).toAbsolutePath().normalize();
            Path to = dir.resolve(SOURCES_DIR).resolve(Integer.toString(i)).toAbsolutePath().normalize();
            if (!from.equals(to)) {
                try {
                    Files.createDirectories(to);
                    for (String f : COPIED) {
                        if (Files.isRegularFile(from.resolve(f))) {
                            AtomicFiles.write(to.resolve(f), Files.readAllBytes(from.resolve(f)));
                        }
                    }
                } catch (IOException e) {
                    throw new GraftException(to + ": cannot copy source adapter " + from + " (" + e.getMessage() + ")", e);
                }
            }
            rel.add(SOURCES_DIR + "/" + i);
        }
        return out;
    }

    /** Resolves {@code sources} against {@code dir} and checks them against {@code graft_provenance.json}. */
    @Override
    public ObjectNode loadFiles(ObjectNode options, Path dir) {
        if (!options.hasNonNull(SOURCES)) {
            throw new GraftException(dir.resolve(AdapterFiles.CONFIG) + ": field '" + SOURCES + "' is missing");
        }
        List<String> sources = PeftConfigs.strings(options, SOURCES);
        ObjectNode out = options.deepCopy();
        ArrayNode abs = out.putArray(SOURCES);
        for (String s : sources) {
            Path p = Path.of(s);
            abs.add((p.isAbsolute() ? p : dir.resolve(p)).toAbsolutePath().normalize().toString());
        }
        Path prov = dir.resolve(Provenance.FILE);
        if (Files.isRegularFile(prov)) {
            JsonNode recorded;
            try {
                recorded = JSON.readTree(prov.toFile()).path(SOURCES);
            } catch (IOException e) {
                throw new GraftException(prov + ": not valid JSON (" + e.getMessage() + ")", e);
            }
            for (int i = 0; i < recorded.size() && i < abs.size(); i++) {
                String want = recorded.get(i).path("sha256").asText("");
                Path weights = Path.of(abs.get(i).asText()).resolve(AdapterFiles.WEIGHTS);
                if (!want.isEmpty() && Files.isRegularFile(weights) && !want.equalsIgnoreCase(Provenance.sha256(weights))) {
                    throw new GraftException(weights + ": SHA-256 differs from the one recorded in " + prov
                            + " (" + want + "); the source adapter was changed");
                }
            }
        }
        return out;
    }

    /** The source adapters' records for {@code graft_provenance.json}: [{path, sha256}, ...]. */
    public static ArrayNode provenance(ObjectNode config) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        List<String> dirs = PeftConfigs.strings(config, SOURCES);
        List<String> hashes = PeftConfigs.strings(config, SOURCES_SHA256);
        for (int i = 0; i < dirs.size(); i++) {
            ObjectNode o = a.addObject();
            o.put("path", dirs.get(i));
            o.put("sha256", hashes.get(i));
        }
        return a;
    }

    /** The sources of a resolved config, read and cross-checked (same base model and sites). */
    public static List<AdapterLibrary.Source> sources(ObjectNode config, int hidden) {
        return AdapterLibrary.read(PeftConfigs.strings(config, SOURCES).stream().map(Path::of).toList(), hidden, SOURCES);
    }

    @Override
    public ComposedAdaptation attach(Encoder encoder, ObjectNode config, NDManager manager, long seed) {
        int hidden = encoder.hiddenSize();
        List<AdapterLibrary.Source> sources = sources(config, hidden);
        // per source: its adapters at every site (same order for every source: same sites), frozen, loaded
        List<List<PlacedAdapter>> placed = new ArrayList<>();
        for (AdapterLibrary.Source s : sources) {
            List<PlacedAdapter> adapters = SequentialAdapters.createAdapters(encoder, s.config(), manager, seed);
            for (PlacedAdapter a : adapters) {
                a.parameters().values().forEach(p -> p.getArray().setRequiresGradient(false));
            }
            AdapterLibrary.load(s, adapters);
            placed.add(adapters);
        }
        Random rng = new Random(seed);
        List<PlacedAdapter> sites = placed.get(0);
        List<ComposedAdaptation.Site> out = new ArrayList<>();
        java.util.Map<String, Parameter> shared = new java.util.HashMap<>();
        for (int j = 0; j < sites.size(); j++) {
            List<dev.graft.peft.adapter.BottleneckAdapter> atSite = new ArrayList<>();
            for (List<PlacedAdapter> p : placed) {
                atSite.add(p.get(j).adapter());
            }
            String site = sites.get(j).name();
            site = site.substring(0, site.length() - ".adapter".length()); // encoder.layer.N.output
            out.add(new ComposedAdaptation.Site(site, sites.get(j).site(), atSite, combiner(site, sources.size(), hidden, manager, rng, shared)));
        }
        return new ComposedAdaptation(out);
    }

    /**
     * The combination at one site.
     *
     * @param site    the site's module path, e.g. {@code encoder.layer.0.output} (the dense layer's parent)
     * @param sources N
     * @param rng     the method's seeded random source, drawn from in site order
     * @param shared  parameters shared across this attachment's sites, by saved name (empty at the first site)
     */
    protected abstract Combiner combiner(String site, int sources, int hidden, NDManager manager, Random rng,
                                         java.util.Map<String, Parameter> shared);

    /** Number of transfer parameters for N sources on an encoder with {@code sites} adapter sites in {@code layers} layers. */
    public abstract long transferParameters(int sources, int hidden, int sites, int layers);

    /** A trainable parameter holding {@code value} (no declared shape: DJL allows setArray only then). */
    static Parameter trainable(String name, Parameter.Type type, NDArray value) {
        Parameter p = Parameter.builder().setName(name).setType(type).build();
        p.setArray(value);
        value.setRequiresGradient(true);
        return p;
    }
}
