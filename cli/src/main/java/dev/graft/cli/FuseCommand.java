package dev.graft.cli;

import dev.graft.tune.Tuning;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code graft fuse}: trains a target task on top of a library of bottleneck adapters (two-stage transfer). The
 * options are {@code graft tune}'s ({@link TuneOptions}), plus {@code --sources}; {@code --method} picks the composition
 * ({@link Tuning#compositions()}). Everything else is {@link Tuning#sources}' work.
 */
@Command(name = "fuse", modelTransformer = MethodFlags.class, description = "Transfer from trained bottleneck adapters (graft tune --method adapter) to a new task: "
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
final class FuseCommand implements Callable<Integer> {
    @Option(names = "--sources", required = true, split = ",", paramLabel = "DIR", description = "Source adapter directories (graft tune --method adapter).")
    List<Path> sources;

    @Mixin
    TuneOptions options = new TuneOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return options.run(spec, sources);
    }
}
