package dev.graft.text;

/**
 * One tokenised input, special tokens included.
 *
 * @param ids     token ids, [T]
 * @param typeIds segment ids, [T] (0 for the first text, 1 for the pair)
 */
public record TokenizedText(long[] ids, long[] typeIds) {
    public int length() {
        return ids.length;
    }
}
