package dev.graft.cli;

import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.peft.fusion.Composition;
import dev.graft.train.Budget;
import dev.graft.train.Holdout;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code graft tune}: a thin command over {@link dev.graft.tune.Tuning}; its options are {@link TuneOptions}'. */
@Command(name = "tune", description = "Fine-tune a model on labelled data with a PEFT method; write a PEFT-layout adapter.",
        modelTransformer = TuneCommand.Model.class,
        footer = {"", TuneCommand.METHODS_LINE,
            "Tasks: classification (default), multi-label (labels joined by , or ;), regression, retrieval (text + text_pair)",
            "Budget: without --epochs or --updates, " + Budget.EPOCHS + " epochs of updates, at least " + Budget.FLOOR
                + " and at most " + Budget.CAP + ", stopping after " + Budget.PATIENCE + " evaluations without improvement.",
            "Selection: without --eval, " + Holdout.PERCENT + "%% of --train (at most " + Holdout.MAX
                + ", stratified by class) picks the best checkpoint; --no-holdout trains on all of it.",
            "", "Examples:",
            "  graft tune --model all-minilm-l6-v2 --train train.csv --eval dev.csv --method lora --output my-adapter",
            "  graft tune --model bge-small-en-v1.5 --train pairs.jsonl --task retrieval --method lora --r 16 --output retr",
            "  graft tune --model all-minilm-l6-v2 --train train.csv --method adapter --adapter-config houlsby --output a",
            "  graft tune ... --output my-adapter --resume      (continue a run that was stopped)"})
final class TuneCommand implements Callable<Integer> {
    /** Footer placeholder replaced by the registry's method list. */
    static final String METHODS_LINE = "Methods: ";

    @Mixin
    TuneOptions options = new TuneOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return options.run(spec, null);
    }

    /** Adds the registry's method flags, and lists its methods (compositions are graft fuse's) in the footer. */
    static final class Model implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            MethodFlags.addTo(spec);
            String methods = PeftMethods.all().stream().filter(m -> !(m instanceof Composition)).map(PeftMethod::name)
                    .collect(Collectors.joining(", "));
            String[] footer = spec.usageMessage().footer().clone();
            for (int i = 0; i < footer.length; i++) {
                footer[i] = footer[i].equals(METHODS_LINE) ? METHODS_LINE + methods : footer[i];
            }
            spec.usageMessage().footer(footer);
            return spec;
        }
    }

    static String formatMetrics(Map<String, Double> metrics) {
        StringBuilder sb = new StringBuilder();
        metrics.forEach((k, v) -> {
            if (!k.equals("examples")) {
                sb.append(sb.length() == 0 ? "" : ", ").append(k).append(' ').append(String.format(Locale.ROOT, "%.4f", v));
            }
        });
        return sb.toString();
    }
}
