package dev.graft.train;

/**
 * One row of a training or evaluation file.
 *
 * @param text   the input text (for retrieval: the query)
 * @param pair   the second text of a sentence pair (for retrieval: the positive passage), or null
 * @param label  the raw label: a class name, several names separated by {@code ,} or {@code ;} (multi-label), or a
 *               number (regression); null for unlabelled input
 * @param source where the row came from, "file:line", for error messages
 */
public record Example(String text, String pair, String label, String source) {
}
