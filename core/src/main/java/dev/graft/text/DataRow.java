package dev.graft.text;

import java.util.Map;

/**
 * One record of a data file.
 *
 * @param fields column name to value (a .txt line is the single column {@code text})
 * @param source "file:line" for error messages
 */
public record DataRow(Map<String, String> fields, String source) {
}
