package dev.graft.train;

import dev.graft.GraftException;
import dev.graft.text.DataFiles;
import dev.graft.text.DataRow;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads training/evaluation examples from CSV, TSV or JSONL files with configurable column names:
 *
 * <pre>{@code
 * List<Example> train = ExampleFiles.reader().read(Path.of("train.csv"));            // text, text_pair, label
 * List<Example> unlabelled = ExampleFiles.reader().textColumn("sentence").labelsRequired(false).read(Path.of("new.csv"));
 * }</pre>
 */
public final class ExampleFiles {
    private ExampleFiles() {
    }

    /** A reader with the CLI's defaults: columns {@code text}, {@code text_pair}, {@code label}; labels required. */
    public static Reader reader() {
        return new Reader();
    }

    /**
     * As {@code reader().textColumn(textColumn).pairColumn(pairColumn).labelColumn(labelColumn)
     * .labelsRequired(requireLabel).read(file)}; kept for existing callers.
     */
    public static List<Example> read(Path file, String textColumn, String pairColumn, String labelColumn,
                                     boolean requireLabel) {
        return reader().textColumn(textColumn).pairColumn(pairColumn).labelColumn(labelColumn)
                .labelsRequired(requireLabel).read(file);
    }

    /**
     * Which columns hold what, and whether labels are required. Immutable: each setter returns a changed copy, so a
     * reader can be shared and refined.
     *
     * @param textColumn     the input text column (required in the file); default {@code text}
     * @param pairColumn     the second text of a sentence pair, used when present; default {@code text_pair}
     * @param labelColumn    the label column; default {@code label}
     * @param labelsRequired whether every row needs a label (training, evaluation: the default) or not (prediction)
     */
    public record Reader(String textColumn, String pairColumn, String labelColumn, boolean labelsRequired) {
        public Reader {
            Objects.requireNonNull(textColumn, "textColumn");
            Objects.requireNonNull(pairColumn, "pairColumn");
            Objects.requireNonNull(labelColumn, "labelColumn");
        }

        private Reader() {
            this("text", "text_pair", "label", true);
        }

        public Reader textColumn(String name) {
            return new Reader(name, pairColumn, labelColumn, labelsRequired);
        }

        public Reader pairColumn(String name) {
            return new Reader(textColumn, name, labelColumn, labelsRequired);
        }

        public Reader labelColumn(String name) {
            return new Reader(textColumn, pairColumn, name, labelsRequired);
        }

        public Reader labelsRequired(boolean required) {
            return new Reader(textColumn, pairColumn, labelColumn, required);
        }

        /**
         * Reads every row of {@code file} as an example (in file order).
         *
         * @throws GraftException naming the file and row when a required column or value is missing
         */
        public List<Example> read(Path file) {
            List<DataRow> rows = DataFiles.read(file);
            DataFiles.requireColumn(file, rows, textColumn);
            if (labelsRequired) {
                DataFiles.requireColumn(file, rows, labelColumn);
            }
            List<Example> out = new ArrayList<>(rows.size());
            for (DataRow r : rows) {
                String text = r.fields().get(textColumn);
                if (text == null) {
                    throw new GraftException(r.source() + ": no value in column '" + textColumn + "'");
                }
                String label = r.fields().get(labelColumn);
                if (labelsRequired && (label == null || label.isBlank())) {
                    throw new GraftException(r.source() + ": empty value in column '" + labelColumn + "'");
                }
                String pair = r.fields().get(pairColumn);
                out.add(new Example(text, pair == null || pair.isEmpty() ? null : pair, label, r.source()));
            }
            return out;
        }
    }
}
