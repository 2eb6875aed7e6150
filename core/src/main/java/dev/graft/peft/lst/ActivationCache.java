package dev.graft.peft.lst;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.runtime.Arrays2;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The frozen backbone's hidden states per training example, kept across epochs so that from the second epoch on LST
 * trains without running the backbone at all. Keyed by the example's tokens (content, not position in the data set),
 * so it needs nothing from the trainer; the backbone runs in inference mode (no dropout) for LST, which makes a cached
 * state exactly what a fresh forward pass would give. Only real tokens are stored: a row's states do not depend on how
 * its batch was padded. Bounded by a byte budget; past it, new rows are simply not cached.
 */
final class ActivationCache {
    private final long budgetBytes;
    private final Map<Key, float[][]> rows = new HashMap<>();
    private long bytes;

    ActivationCache(long budgetBytes) {
        this.budgetBytes = budgetBytes;
    }

    private record Key(long[] ids, long[] types) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(ids, k.ids) && Arrays.equals(types, k.types);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(ids) + Arrays.hashCode(types);
        }
    }

    long bytes() {
        return bytes;
    }

    /**
     * The cached states for a whole batch, or null if any row is missing.
     *
     * @param ids   [B, T] token ids (as a Java copy)
     * @param types [B, T] token type ids
     * @param lengths real tokens per row
     * @return L+1 arrays of [B, T, H] in {@code batch}, padding positions zero
     */
    List<NDArray> lookup(long[] ids, long[] types, int[] lengths, int t, int hidden, NDManager batch) {
        int b = lengths.length;
        float[][][] found = new float[b][][];
        for (int i = 0; i < b; i++) {
            found[i] = rows.get(key(ids, types, i, t, lengths[i]));
            if (found[i] == null) {
                return null;
            }
        }
        int levels = found[0].length;
        List<NDArray> out = new ArrayList<>(levels);
        for (int level = 0; level < levels; level++) {
            float[] flat = new float[b * t * hidden];
            for (int i = 0; i < b; i++) {
                float[] row = found[i][level];
                System.arraycopy(row, 0, flat, i * t * hidden, row.length);
            }
            out.add(Arrays2.owned(batch, flat, new Shape(b, t, hidden)));
        }
        return out;
    }

    /** Stores each row's real-token states, while the budget allows. */
    void store(long[] ids, long[] types, int[] lengths, int t, int hidden, List<NDArray> states) {
        int b = lengths.length;
        long needed = 0;
        for (int len : lengths) {
            needed += (long) len * hidden * states.size() * Float.BYTES;
        }
        if (bytes + needed > budgetBytes) {
            return;
        }
        float[][] flat = new float[states.size()][];
        for (int level = 0; level < states.size(); level++) {
            flat[level] = states.get(level).toFloatArray();
        }
        for (int i = 0; i < b; i++) {
            Key k = key(ids, types, i, t, lengths[i]);
            if (rows.containsKey(k)) {
                continue;
            }
            float[][] row = new float[states.size()][];
            for (int level = 0; level < states.size(); level++) {
                row[level] = Arrays.copyOfRange(flat[level], i * t * hidden, (i * t + lengths[i]) * hidden);
            }
            rows.put(k, row);
            bytes += (long) lengths[i] * hidden * states.size() * Float.BYTES;
        }
    }

    private static Key key(long[] ids, long[] types, int row, int t, int len) {
        return new Key(Arrays.copyOfRange(ids, row * t, row * t + len), Arrays.copyOfRange(types, row * t, row * t + len));
    }

    void clear() {
        rows.clear();
        bytes = 0;
    }
}
