package dev.graft.model;

import dev.graft.GraftException;
import dev.graft.runtime.Arrays2;
import java.util.Arrays;
import java.util.Locale;

/** How token vectors become one sentence vector. */
public enum Pooling {
    /** The first token's ([CLS]) last hidden state. */
    CLS,
    /** Mean of the last hidden states over real (non-padding) tokens. */
    MEAN,
    /** The HF pooler: tanh(dense(CLS)), as BERT's next-sentence head uses it. */
    POOLER;

    /** Parses a CLI/config name (case-insensitive): cls, mean, pooler. */
    public static Pooling parse(String name) {
        for (Pooling p : values()) {
            if (p.name().equalsIgnoreCase(name.trim())) {
                return p;
            }
        }
        throw new GraftException("unknown pooling '" + name + "': expected one of "
                + Arrays.toString(values()).toLowerCase(Locale.ROOT));
    }

    /**
     * Divides each row by its L2 norm (rows of norm 0 stay 0).
     *
     * @param x [B, H]
     * @return [B, H]
     */
    public static ai.djl.ndarray.NDArray normalizeRows(ai.djl.ndarray.NDArray x) {
        return x.div(x.norm(new int[] {1}, true).maximum(Arrays2.scalar(x.getManager(), 1e-12f)));
    }

    /** Lower-case name as used on the command line. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
