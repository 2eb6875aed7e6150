package dev.graft.model;

import dev.graft.text.TokenizedText;
import java.util.Arrays;
import java.util.List;

/**
 * One padded batch of encoder inputs as plain Java arrays, the input every {@link InferenceEngine} takes.
 * Arrays are row-major {@code [batch, length]}.
 *
 * @param batch   B, the number of texts
 * @param length  T, the longest sequence in the batch (the others are padded with id 0 and mask 0)
 * @param ids     [B * T] token ids
 * @param mask    [B * T] 1 for real tokens, 0 for padding
 * @param typeIds [B * T] segment ids (0 for single texts)
 */
public record TokenIds(int batch, int length, long[] ids, long[] mask, long[] typeIds) {
    public TokenIds {
        int n = Math.multiplyExact(batch, length);
        if (batch < 1 || length < 1 || ids.length != n || mask.length != n || typeIds.length != n) {
            throw new IllegalArgumentException("token arrays must hold batch * length = " + batch + " * " + length
                    + " values, got " + ids.length + ", " + mask.length + ", " + typeIds.length);
        }
    }

    /** Pads {@code texts} to the longest of them. */
    public static TokenIds pad(List<TokenizedText> texts) {
        int t = texts.stream().mapToInt(TokenizedText::length).max().orElse(1);
        int b = texts.size();
        long[] ids = new long[b * t];
        long[] mask = new long[b * t];
        long[] types = new long[b * t];
        for (int i = 0; i < b; i++) {
            TokenizedText x = texts.get(i);
            System.arraycopy(x.ids(), 0, ids, i * t, x.length());
            System.arraycopy(x.typeIds(), 0, types, i * t, x.length());
            Arrays.fill(mask, i * t, i * t + x.length(), 1L);
        }
        return new TokenIds(b, t, ids, mask, types);
    }
}
