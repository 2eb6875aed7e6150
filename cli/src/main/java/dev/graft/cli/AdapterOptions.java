package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.peft.AdapterFiles;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The base model and adapter an eval/predict/export command works on. */
final class AdapterOptions {
    @Option(names = "--model", paramLabel = "ID|DIR",
            description = "The base model the adapter was trained on (default: the one the adapter records).")
    String model;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "Adapter directory written by graft tune (or by PEFT).")
    Path adapter;

    @Option(names = "--labels", split = ",", description = "Label names for a PEFT adapter without graft_task.json (in class-index order).")
    java.util.List<String> labels;

    /** --model, else the base model the adapter records (a merged model's head names its backbone). */
    String baseModel() {
        if (model != null) {
            return model;
        }
        String recorded = AdapterFiles.baseModelOf(adapter);
        if (recorded == null) {
            throw new GraftException(adapter + ": records no base model; give it with --model ID|DIR");
        }
        return recorded;
    }
}
