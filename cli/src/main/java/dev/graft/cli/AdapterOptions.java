package dev.graft.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The base model and adapter an eval/predict/export command works on. */
final class AdapterOptions {
    @Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "The base model the adapter was trained on.")
    String model;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "Adapter directory written by graft tune (or by PEFT).")
    Path adapter;

    @Option(names = "--labels", split = ",", description = "Label names for a PEFT adapter without graft_task.json (in class-index order).")
    java.util.List<String> labels;
}
