package dev.graft.cli;

import dev.graft.model.BundledModel;
import dev.graft.model.BundledModels;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "models", description = "List the bundled model ids and their facts.",
        footer = {"", "Examples:", "  graft models", "  graft models --json"})
final class ModelsCommand implements Runnable {
    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (BundledModel m : BundledModels.all()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("id", m.id());
                e.put("layers", m.layers());
                e.put("hidden_size", m.hiddenSize());
                e.put("heads", m.heads());
                e.put("parameters", m.parameters());
                e.put("pooling", m.pooling().cliName());
                e.put("normalize", m.normalize());
                e.put("query_prefix", m.queryPrefix());
                e.put("passage_prefix", m.passagePrefix());
                e.put("language", m.language());
                e.put("hf_repo", m.hfRepo());
                e.put("source", m.mavenCoordinates());
                list.add(e);
            }
            Output.json(out, list);
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        for (BundledModel m : BundledModels.all()) {
            rows.add(List.of(m.id(), Integer.toString(m.layers()), Integer.toString(m.hiddenSize()), Integer.toString(m.heads()),
                    Output.count(m.parameters()), m.pooling().cliName() + (m.normalize() ? "+l2" : ""), m.language(),
                    m.mavenCoordinates()));
        }
        Output.table(out, List.of("id", "layers", "hidden", "heads", "params", "pooling", "lang", "source"), rows);
    }
}
