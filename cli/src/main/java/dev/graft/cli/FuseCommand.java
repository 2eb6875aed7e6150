package dev.graft.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.adapter.AdapterLibrary;
import dev.graft.peft.adapter.SequentialAdapters;
import dev.graft.peft.fusion.Composition;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code graft fuse}: trains a target task on top of a library of bottleneck adapters (two-stage transfer). The
 * options are {@code graft tune}'s, plus {@code --sources}; {@code --method} picks the composition.
 */
@Command(name = "fuse", description = "Transfer from trained bottleneck adapters (graft tune --method adapter) to a new task: "
        + "learn to combine their outputs (ScaLearn, AdapterFusion) or start from their average (MHR-mu); write an adapter directory.",
        footer = {"", "Methods (--method):",
            "  scalearn            learned per-dimension scale of each source's output, per layer (N x H per layer)",
            "  scalearn-uniform    one scale per source and layer (N per layer)",
            "  scalearn++          as scalearn, shared by all layers (N x H)",
            "  scalearn-uniform++  one scale per source, shared by all layers (N)",
            "  fusion              AdapterFusion: attention over the sources' outputs (3(H^2+H) per layer)",
            "  average             MHR-mu: a new adapter initialised to the sources' mean, then fine-tuned",
            "Only the combination and the task head train; the sources stay frozen and are copied into OUTPUT/sources/.",
            "Sources must share the base model and adapter placement; their tasks and heads may differ.",
            "", "Examples:",
            "  graft tune --model all-minilm-l6-v2 --train a.csv --method adapter --output lib/a",
            "  graft tune --model all-minilm-l6-v2 --train b.csv --method adapter --output lib/b",
            "  graft fuse --model all-minilm-l6-v2 --sources lib/a,lib/b --train c.csv --eval c-dev.csv --method scalearn --output c",
            "  graft fuse --model all-minilm-l6-v2 --sources lib/a,lib/b --train c.csv --method fusion --lr 5e-4 --output c-fusion",
            "  graft eval --model all-minilm-l6-v2 --adapter c --data c-test.csv"})
final class FuseCommand extends TuneCommand {
    private static final Set<String> METHODS = Set.of("scalearn", "scalearn-uniform", "scalearn++", "scalearn-uniform++", "fusion", "average");

    @Option(names = "--sources", required = true, split = ",", paramLabel = "DIR", description = "Source adapter directories (graft tune --method adapter).")
    List<Path> sources;

    @Override
    String methodName() {
        String m = method == null ? "scalearn" : method.trim().toLowerCase(Locale.ROOT);
        if (!METHODS.contains(m)) {
            throw new GraftException("--method: '" + method + "' is not a composition; expected one of " + new java.util.TreeSet<>(METHODS));
        }
        return m.equals("average") ? "adapter" : m;
    }

    private boolean average() {
        return methodName().equals("adapter");
    }

    @Override
    ObjectNode methodOverrides(EncoderModel base) {
        ObjectNode c = super.methodOverrides(base);
        ArrayNode dirs = c.putArray(average() ? SequentialAdapters.INIT_FROM : Composition.SOURCES);
        sources.forEach(d -> dirs.add(d.toString()));
        if (average()) {
            // the new adapter takes the library's placement and width unless given
            List<AdapterLibrary.Source> lib = AdapterLibrary.read(sources, base.encoder().hiddenSize(), "--sources");
            if (!c.has("config")) {
                c.put("config", lib.get(0).config().config());
            }
            if (!c.has("bottleneck_size") && !c.has("reduction_factor")) {
                c.put("bottleneck_size", lib.get(0).config().bottleneckSize());
            }
        }
        return c;
    }

    @Override
    void checkBase(EncoderModel base, PeftMethod m, ObjectNode methodConfig) {
        List<AdapterLibrary.Source> lib = AdapterLibrary.read(sources, base.encoder().hiddenSize(), "--sources");
        String id = base.bundled().map(b -> b.hfRepo()).orElse(base.info().id());
        AdapterLibrary.checkBase(lib, id, base.weightsSha256());
    }

    @Override
    void addProvenance(ObjectNode record) {
        ArrayNode a = record.putArray(Composition.SOURCES);
        for (Path d : sources) {
            ObjectNode o = a.addObject();
            o.put("path", d.toAbsolutePath().normalize().toString());
            o.put("sha256", dev.graft.io.Provenance.sha256(d.resolve(dev.graft.peft.AdapterFiles.WEIGHTS)));
        }
    }
}
