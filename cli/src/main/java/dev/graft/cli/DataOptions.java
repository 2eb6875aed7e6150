package dev.graft.cli;

import dev.graft.train.ExampleFiles;
import picocli.CommandLine.Option;

/** Column names for data files, shared by tune, eval and predict. */
final class DataOptions {
    @Option(names = "--text-column", defaultValue = "text", description = "Text column. Default: ${DEFAULT-VALUE}.")
    String textColumn;

    @Option(names = "--pair-column", defaultValue = "text_pair", description = "Second-text column for sentence pairs. Default: ${DEFAULT-VALUE}.")
    String pairColumn;

    @Option(names = "--label-column", defaultValue = "label", description = "Label column. Default: ${DEFAULT-VALUE}.")
    String labelColumn;

    /** A reader of these columns (labels required; prediction relaxes that). */
    ExampleFiles.Reader reader() {
        return ExampleFiles.reader().textColumn(textColumn).pairColumn(pairColumn).labelColumn(labelColumn);
    }
}
