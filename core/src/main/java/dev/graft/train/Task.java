package dev.graft.train;

import dev.graft.GraftException;
import java.util.Locale;

/** What the model learns to predict. */
public enum Task {
    /** One label per text (softmax cross-entropy). */
    CLASSIFICATION,
    /** Any number of labels per text (sigmoid binary cross-entropy per label). */
    MULTI_LABEL,
    /** A real number per text (mean squared error). */
    REGRESSION,
    /** Query/positive pairs for retrieval embeddings (contrastive loss with in-batch negatives). */
    RETRIEVAL;

    public static Task parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "classification", "single-label" -> CLASSIFICATION;
            case "multi-label", "multilabel" -> MULTI_LABEL;
            case "regression" -> REGRESSION;
            case "retrieval", "embedding", "contrastive" -> RETRIEVAL;
            default -> throw new GraftException("unknown task '" + s
                    + "'; expected classification, multi-label, regression or retrieval");
        };
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
