package dev.graft.tune;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.model.EncoderModel;
import dev.graft.peft.AdapterFiles;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.peft.adapter.AdapterLibrary;
import dev.graft.peft.adapter.SequentialAdapterConfig;
import dev.graft.peft.adapter.SequentialAdapters;
import dev.graft.peft.adapter.BottleneckSize;
import dev.graft.peft.fusion.Composition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Transfer from a library of trained bottleneck adapters (two-stage transfer, what {@code graft fuse} does): a
 * composition method from the registry (ScaLearn, AdapterFusion) learns to combine the sources' outputs, or
 * {@value #AVERAGE} (MHR-μ) trains a new sequential adapter initialised to the sources' mean. This class knows what
 * that adds to an ordinary tuning run: the method options naming the sources, the check that the sources were trained
 * on the base model, and the sources' records in {@code graft_provenance.json}.
 */
final class SourceComposition {
    /** MHR-μ: a new adapter starting from the sources' average, then fine-tuned. */
    static final String AVERAGE = "average";

    private final List<Path> dirs;
    private final String name;
    private final PeftMethod method;

    /**
     * @param dirs   the source adapter directories (graft tune --method adapter), at least one
     * @param method a composition's name, or {@value #AVERAGE}; null = {@code scalearn}
     * @throws GraftException when the method is not a composition
     */
    SourceComposition(List<Path> dirs, String method) {
        if (dirs.isEmpty()) {
            throw new GraftException("sources: expected at least one adapter directory");
        }
        this.dirs = List.copyOf(dirs);
        this.name = method == null ? "scalearn" : method.trim().toLowerCase(Locale.ROOT);
        if (!names().contains(name)) {
            throw new GraftException("--method: '" + method + "' is not a composition; expected one of " + names());
        }
        this.method = name.equals(AVERAGE) ? PeftMethods.byName(SequentialAdapters.NAME) : PeftMethods.byName(name);
    }

    /** Every method that composes sources: the registry's compositions, and {@value #AVERAGE}. */
    static List<String> names() {
        List<String> out = new ArrayList<>();
        PeftMethods.all().stream().filter(m -> m instanceof Composition).forEach(m -> out.add(m.name()));
        out.add(AVERAGE);
        return out;
    }

    /** The method that trains: the composition, or sequential adapters for {@value #AVERAGE}. */
    PeftMethod method() {
        return method;
    }

    /**
     * Reads the sources, checks they were trained on {@code base}, and returns the method options: {@code user}'s, the
     * source directories, and for {@value #AVERAGE} the library's placement and width unless the user gave them.
     */
    ObjectNode options(EncoderModel base, ObjectNode user) {
        List<AdapterLibrary.Source> library = AdapterLibrary.read(dirs, base.encoder().hiddenSize(), Composition.SOURCES);
        String id = base.bundled().map(b -> b.hfRepo()).orElse(base.info().id());
        AdapterLibrary.checkBase(library, id, base.weightsSha256());
        ObjectNode c = user.deepCopy();
        boolean average = name.equals(AVERAGE);
        ArrayNode list = c.putArray(average ? SequentialAdapters.INIT_FROM : Composition.SOURCES);
        dirs.forEach(d -> list.add(d.toString()));
        if (average) {
            SequentialAdapterConfig first = library.get(0).config();
            if (!c.has(SequentialAdapterConfig.CONFIG)) {
                c.put(SequentialAdapterConfig.CONFIG, first.config());
            }
            if (!c.has(BottleneckSize.BOTTLENECK_SIZE) && !c.has(BottleneckSize.REDUCTION_FACTOR)) {
                c.put(BottleneckSize.BOTTLENECK_SIZE, first.bottleneckSize());
            }
        }
        return c;
    }

    /** Adds each source's absolute path and weights hash to a provenance record. */
    void record(ObjectNode provenance) {
        ArrayNode a = provenance.putArray(Composition.SOURCES);
        for (Path d : dirs) {
            ObjectNode o = a.addObject();
            o.put("path", d.toAbsolutePath().normalize().toString());
            o.put("sha256", Provenance.sha256(d.resolve(AdapterFiles.WEIGHTS)));
        }
    }
}
