package dev.graft.cli;

import dev.graft.peft.MethodOption;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.tune.Tuning;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code graft methods}: the registered fine-tuning methods, what each one defaults to and where it comes from. */
@Command(name = "methods", description = "List the fine-tuning methods (tune --method, fuse --method) with their defaults and papers.",
        footer = {"", "Examples:", "  graft methods", "  graft methods --json"})
final class MethodsCommand implements Runnable {
    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        List<String> compositions = Tuning.compositions();
        if (json) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (PeftMethod m : PeftMethods.all()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("name", m.name());
                e.put("command", compositions.contains(m.name()) ? "fuse" : "tune");
                e.put("peft_type", m.peftType());
                e.put("default_learning_rate", m.defaultLearningRate());
                List<Map<String, Object>> options = new ArrayList<>();
                for (MethodOption o : m.options()) {
                    Map<String, Object> oe = new LinkedHashMap<>();
                    oe.put("flag", o.flag());
                    oe.put("key", o.key());
                    oe.put("kind", o.kind().name().toLowerCase(Locale.ROOT));
                    oe.put("default", o.defaultValue());
                    oe.put("help", o.help());
                    options.add(oe);
                }
                e.put("options", options);
                e.put("reference", m.reference());
                list.add(e);
            }
            Output.json(out, list);
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        for (PeftMethod m : PeftMethods.all()) {
            rows.add(List.of(m.name(), compositions.contains(m.name()) ? "fuse" : "tune",
                    String.format(Locale.ROOT, "%.0e", m.defaultLearningRate()),
                    String.join(" ", m.options().stream().map(MethodOption::flag).toList()), m.reference()));
        }
        Output.table(out, List.of("method", "command", "lr", "options", "reference"), rows);
    }
}
