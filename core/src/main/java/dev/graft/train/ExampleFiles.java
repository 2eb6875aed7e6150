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
 * List<Example> texts = ExampleFiles.reader().readUnlabelled(Path.of("pool.txt"));   // distillation's --unlabeled
 * }</pre>
 *
 * <p>A {@code .txt} file has no columns: each line is the text, whatever {@link Reader#textColumn} says.
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
            String textColumn = textColumnOf(file);
            DataFiles.requireColumn(file, rows, textColumn);
            if (labelsRequired) {
                DataFiles.requireColumn(file, rows, labelColumn);
            }
            List<Example> out = new ArrayList<>(rows.size());
            for (DataRow r : rows) {
                String text = textOf(r, textColumn);
                String label = r.fields().get(labelColumn);
                if (labelsRequired && (label == null || label.isBlank())) {
                    throw new GraftException(r.source() + ": empty value in column '" + labelColumn + "'");
                }
                String pair = r.fields().get(pairColumn);
                out.add(new Example(text, pair == null || pair.isEmpty() ? null : pair, label, r.source()));
            }
            return out;
        }

        /**
         * Reads unlabelled texts: the inputs a teacher labels for distillation ({@code --unlabeled}), a pool filter's
         * seeds and pool. {@code .txt}: one text per non-blank line; {@code .csv}/{@code .tsv}: the
         * {@link #textColumn} (and {@link #pairColumn} when present); {@code .jsonl}: that field of each object. Blank
         * texts are skipped (they carry nothing to learn from); any label column is ignored, so every example's label
         * is null. Sources stay "file:line" of the line read.
         *
         * @return the non-blank texts in file order, at least one
         * @throws GraftException naming the file for an empty file, a missing text column (with the columns the file
         *                        has), a row without a text, or a file whose texts are all blank
         */
        public List<Example> readUnlabelled(Path file) {
            List<DataRow> rows = DataFiles.read(file);
            String textColumn = textColumnOf(file);
            DataFiles.requireColumn(file, rows, textColumn);
            List<Example> out = new ArrayList<>(rows.size());
            for (DataRow r : rows) {
                String text = textOf(r, textColumn);
                if (text.isBlank()) {
                    continue;
                }
                String pair = r.fields().get(pairColumn);
                out.add(new Example(text, pair == null || pair.isEmpty() ? null : pair, null, r.source()));
            }
            if (out.isEmpty()) {
                throw new GraftException(file + ": no text in " + (DataFiles.isPlainText(file) ? "any line"
                        : "column '" + textColumn + "'") + "; every one of its " + rows.size() + " rows is blank");
            }
            return out;
        }

        /** The column holding the text: {@link #textColumn}, except in a .txt file, whose lines are the text. */
        private String textColumnOf(Path file) {
            return DataFiles.isPlainText(file) ? DataFiles.TEXT_COLUMN : textColumn;
        }

        private static String textOf(DataRow r, String column) {
            String text = r.fields().get(column);
            if (text == null) {
                throw new GraftException(r.source() + ": no value in column '" + column + "'");
            }
            return text;
        }
    }
}
