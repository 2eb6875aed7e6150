package dev.graft.features;

import dev.graft.GraftException;
import dev.graft.train.Example;
import dev.graft.train.ExampleFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A labelled data file as the estimators see it: texts and class indices.
 *
 * @param texts      [n]
 * @param labels     [n] class indices into {@code classNames}
 * @param classNames sorted label names
 */
public record LabelledTexts(List<String> texts, int[] labels, List<String> classNames) {
    public LabelledTexts {
        texts = List.copyOf(texts);
        classNames = List.copyOf(classNames);
        if (texts.size() != labels.length) {
            throw new IllegalArgumentException(texts.size() + " texts but " + labels.length + " labels");
        }
    }

    /** Reads a CSV, TSV or JSONL file with the columns {@code text} and {@code label}; see {@link #read(Path, ExampleFiles.Reader)}. */
    public static LabelledTexts read(Path file) {
        return read(file, ExampleFiles.reader());
    }

    /** As {@link #read(Path, ExampleFiles.Reader)} with these column names; kept for existing callers. */
    public static LabelledTexts read(Path file, String textColumn, String pairColumn, String labelColumn) {
        return read(file, ExampleFiles.reader().textColumn(textColumn).pairColumn(pairColumn).labelColumn(labelColumn));
    }

    /**
     * Reads a CSV, TSV or JSONL file with a text and a label column, named by {@code columns} (whose labels are
     * always required here). Sentence pairs are refused: the estimators score one vector per example, and silently
     * dropping the second text would rank models on the wrong input.
     */
    public static LabelledTexts read(Path file, ExampleFiles.Reader columns) {
        List<Example> rows = columns.labelsRequired(true).read(file);
        if (rows.isEmpty()) {
            throw new GraftException(file + ": no examples");
        }
        if (rows.stream().anyMatch(e -> e.pair() != null && !e.pair().isEmpty())) {
            throw new GraftException(file + ": has a '" + columns.pairColumn() + "' column; ranking scores single texts, so remove it"
                    + " or join the two texts into '" + columns.textColumn() + "'");
        }
        TreeMap<String, Integer> index = new TreeMap<>();
        rows.forEach(e -> index.putIfAbsent(e.label(), 0));
        List<String> names = new ArrayList<>(index.keySet());
        for (int i = 0; i < names.size(); i++) {
            index.put(names.get(i), i);
        }
        int[] labels = new int[rows.size()];
        List<String> texts = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            texts.add(rows.get(i).text());
            labels[i] = index.get(rows.get(i).label());
        }
        return new LabelledTexts(texts, labels, names);
    }

    public int size() {
        return texts.size();
    }

    /** The texts as labelled training examples (no pairs), each with source {@code "<source>:<index>"}. */
    public List<Example> examples(String source) {
        List<Example> out = new ArrayList<>(size());
        for (int i = 0; i < size(); i++) {
            out.add(new Example(texts.get(i), null, classNames.get(labels[i]), source + ":" + i));
        }
        return out;
    }

    public int numClasses() {
        return classNames.size();
    }

    /**
     * A stratified random subset of at most {@code n} examples (each class keeps its share, at least one example),
     * the same for the same seed; the whole set when {@code n >= size()}.
     */
    public LabelledTexts sample(int n, long seed) {
        if (n <= 0) {
            throw new GraftException("--sample must be positive, got " + n);
        }
        if (n >= size()) {
            return this;
        }
        Map<Integer, List<Integer>> byClass = new TreeMap<>();
        for (int i = 0; i < labels.length; i++) {
            byClass.computeIfAbsent(labels[i], k -> new ArrayList<>()).add(i);
        }
        Random r = new Random(seed);
        List<Integer> chosen = new ArrayList<>();
        for (List<Integer> members : byClass.values()) {
            Collections.shuffle(members, r);
            int take = Math.max(1, (int) Math.round((double) n * members.size() / size()));
            chosen.addAll(members.subList(0, Math.min(take, members.size())));
        }
        Collections.sort(chosen);
        List<String> t = new ArrayList<>();
        int[] l = new int[chosen.size()];
        for (int k = 0; k < chosen.size(); k++) {
            t.add(texts.get(chosen.get(k)));
            l[k] = labels[chosen.get(k)];
        }
        return new LabelledTexts(t, l, classNames);
    }
}
