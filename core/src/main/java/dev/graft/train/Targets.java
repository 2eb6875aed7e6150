package dev.graft.train;

import java.util.List;

/** Training targets of every example, converted once from the raw labels. */
final class Targets {
    private final Task task;
    private final int[] classes;
    private final float[][] multiHot;
    private final float[] values;
    private final int classCount;

    private Targets(Task task, int[] classes, float[][] multiHot, float[] values, int classCount) {
        this.task = task;
        this.classes = classes;
        this.multiHot = multiHot;
        this.values = values;
        this.classCount = classCount;
    }

    static Targets of(LabelSpace labels, List<Example> examples) {
        int n = examples.size();
        return switch (labels.task()) {
            case CLASSIFICATION -> {
                int[] c = new int[n];
                for (int i = 0; i < n; i++) {
                    c[i] = labels.classIndex(examples.get(i));
                }
                yield new Targets(labels.task(), c, null, null, labels.names().size());
            }
            case MULTI_LABEL -> {
                float[][] y = new float[n][];
                for (int i = 0; i < n; i++) {
                    y[i] = labels.multiHot(examples.get(i));
                }
                yield new Targets(labels.task(), null, y, null, labels.names().size());
            }
            case REGRESSION -> {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = (float) labels.value(examples.get(i));
                }
                yield new Targets(labels.task(), null, null, v, 1);
            }
            case RETRIEVAL -> new Targets(labels.task(), null, null, null, 0);
        };
    }

    /** Validates an evaluation example's label against the training labels. */
    static void checkLabel(LabelSpace labels, Example e) {
        switch (labels.task()) {
            case CLASSIFICATION -> labels.classIndex(e);
            case MULTI_LABEL -> labels.multiHot(e);
            case REGRESSION -> labels.value(e);
            default -> {
            }
        }
    }

    int[] classes(List<Integer> idx) {
        return idx.stream().mapToInt(i -> classes[i]).toArray();
    }

    float[] multiHot(List<Integer> idx) {
        int l = multiHot[0].length;
        float[] out = new float[idx.size() * l];
        for (int k = 0; k < idx.size(); k++) {
            System.arraycopy(multiHot[idx.get(k)], 0, out, k * l, l);
        }
        return out;
    }

    float[] values(List<Integer> idx) {
        float[] out = new float[idx.size()];
        for (int k = 0; k < idx.size(); k++) {
            out[k] = values[idx.get(k)];
        }
        return out;
    }

    /** Class weights n / (C · count_c), as scikit-learn's "balanced"; unseen classes get weight 0. */
    float[] inverseFrequency() {
        long[] counts = new long[classCount];
        for (int c : classes) {
            counts[c]++;
        }
        float[] w = new float[classCount];
        for (int c = 0; c < classCount; c++) {
            w[c] = counts[c] == 0 ? 0f : (float) (classes.length / (double) (classCount * counts[c]));
        }
        return w;
    }

    Task task() {
        return task;
    }
}
