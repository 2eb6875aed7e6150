package dev.graft.train;

import dev.graft.GraftException;
import dev.graft.text.DataFiles;
import dev.graft.text.DataRow;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads training/evaluation examples from CSV, TSV or JSONL files with configurable column names. */
public final class ExampleFiles {
    private ExampleFiles() {
    }

    /**
     * @param textColumn   the input text column (required)
     * @param pairColumn   the second text of a pair, optional (used when present)
     * @param labelColumn  the label column
     * @param requireLabel whether every row needs a label (training, evaluation) or not (prediction)
     */
    public static List<Example> read(Path file, String textColumn, String pairColumn, String labelColumn,
                                     boolean requireLabel) {
        List<DataRow> rows = DataFiles.read(file);
        DataFiles.requireColumn(file, rows, textColumn);
        if (requireLabel) {
            DataFiles.requireColumn(file, rows, labelColumn);
        }
        List<Example> out = new ArrayList<>(rows.size());
        for (DataRow r : rows) {
            String text = r.fields().get(textColumn);
            if (text == null) {
                throw new GraftException(r.source() + ": no value in column '" + textColumn + "'");
            }
            String label = r.fields().get(labelColumn);
            if (requireLabel && (label == null || label.isBlank())) {
                throw new GraftException(r.source() + ": empty value in column '" + labelColumn + "'");
            }
            String pair = r.fields().get(pairColumn);
            out.add(new Example(text, pair == null || pair.isEmpty() ? null : pair, label, r.source()));
        }
        return out;
    }
}
