package dev.graft.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads the data files Graft accepts: {@code .txt} (one text per line, column {@value #TEXT_COLUMN}), {@code .csv} and
 * {@code .tsv} (header row required; quoting as RFC 4180), {@code .jsonl} (one JSON object per line; blank lines
 * skipped). Every error names the file and line and says what was expected.
 */
public final class DataFiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final Set<String> EXTENSIONS = Set.of("txt", "csv", "tsv", "jsonl");
    /** The single column of a {@code .txt} file's rows. */
    public static final String TEXT_COLUMN = "text";

    private DataFiles() {
    }

    /** Reads all rows. */
    public static List<DataRow> read(Path file) {
        String ext = extension(file);
        if (!EXTENSIONS.contains(ext)) {
            throw new GraftException(file + ": unsupported file type '." + ext + "'; expected .txt, .csv, .tsv or .jsonl");
        }
        if (!Files.isRegularFile(file)) {
            throw new GraftException(file + ": file not found");
        }
        List<DataRow> rows;
        try (BufferedReader in = new BufferedReader(Files.newBufferedReader(file, StandardCharsets.UTF_8))) {
            skipByteOrderMark(in);
            rows = switch (ext) {
                case "txt" -> readText(file, in);
                case "jsonl" -> readJsonLines(file, in);
                default -> readDelimited(file, in, ext.equals("tsv") ? '\t' : ',');
            };
        } catch (NoSuchFileException e) {
            throw new GraftException(file + ": file not found");
        } catch (CharacterCodingException | java.io.UncheckedIOException e) {
            throw new GraftException(file + ": not valid UTF-8 text");
        } catch (IOException e) {
            throw new GraftException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (rows.isEmpty()) {
            throw new GraftException(file + ": the file has no data rows");
        }
        return rows;
    }

    /** The texts of one column, in file order. */
    public static List<String> texts(Path file, String column) {
        List<DataRow> rows = read(file);
        requireColumn(file, rows, column);
        List<String> out = new ArrayList<>(rows.size());
        for (DataRow r : rows) {
            String v = r.fields().get(column);
            if (v == null) {
                throw new GraftException(r.source() + ": no value in column '" + column + "'");
            }
            out.add(v);
        }
        return out;
    }

    /** Fails with the columns found if {@code column} is absent from the first row. */
    public static void requireColumn(Path file, List<DataRow> rows, String column) {
        if (!rows.isEmpty() && !rows.get(0).fields().containsKey(column)) {
            throw new GraftException(file + ": no column '" + column + "'; the file has " + rows.get(0).fields().keySet()
                    + " (choose one with --text-column / --label-column)");
        }
    }

    /** Excel's "CSV UTF-8" and Windows editors start files with U+FEFF; it is not part of the first column's name. */
    private static void skipByteOrderMark(BufferedReader in) throws IOException {
        in.mark(1);
        if (in.read() != '\uFEFF') {
            in.reset();
        }
    }

    /**
     * Whether {@code file} is a {@code .txt} file: one text per line, no columns to choose from (every row is the single
     * column {@value #TEXT_COLUMN}, whatever text column a caller was told to read).
     */
    public static boolean isPlainText(Path file) {
        return extension(file).equals("txt");
    }

    static String extension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static List<DataRow> readText(Path file, BufferedReader in) throws IOException {
        List<DataRow> rows = new ArrayList<>();
        String line;
        int n = 0;
        while ((line = in.readLine()) != null) {
            n++;
            rows.add(new DataRow(Map.of(TEXT_COLUMN, line), file + ":" + n));
        }
        return rows;
    }

    private static List<DataRow> readJsonLines(Path file, BufferedReader in) throws IOException {
        List<DataRow> rows = new ArrayList<>();
        String line;
        int n = 0;
        while ((line = in.readLine()) != null) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new GraftException(file + ":" + n + ": not valid JSON (" + e.getOriginalMessage() + ")");
            }
            if (node == null || !node.isObject()) {
                throw new GraftException(file + ":" + n + ": expected a JSON object per line");
            }
            Map<String, String> fields = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                if (v.isNull()) {
                    continue;
                } else if (v.isTextual() || v.isNumber() || v.isBoolean()) {
                    fields.put(e.getKey(), v.asText());
                } else if (v.isArray() && allScalars(v)) {
                    List<String> parts = new ArrayList<>();
                    v.forEach(x -> parts.add(x.asText()));
                    fields.put(e.getKey(), String.join(",", parts)); // multi-label lists
                } else {
                    throw new GraftException(file + ":" + n + ": field '" + e.getKey() + "' must be a string, number or"
                            + " list of labels, got " + v.getNodeType().name().toLowerCase(Locale.ROOT));
                }
            }
            rows.add(new DataRow(fields, file + ":" + n));
        }
        return rows;
    }

    private static boolean allScalars(JsonNode array) {
        for (JsonNode x : array) {
            if (!(x.isTextual() || x.isNumber())) {
                return false;
            }
        }
        return true;
    }

    private static List<DataRow> readDelimited(Path file, Reader in, char delimiter) throws IOException {
        CSVFormat format = CSVFormat.RFC4180.builder().setDelimiter(delimiter).setHeader().setSkipHeaderRecord(true)
                .setIgnoreEmptyLines(true).setTrim(false).build();
        List<DataRow> rows = new ArrayList<>();
        try (CSVParser parser = format.parse(in)) {
            List<String> header = parser.getHeaderNames();
            if (header.isEmpty()) {
                throw new GraftException(file + ":1: expected a header row naming the columns (e.g. text,label)");
            }
            for (CSVRecord r : parser) {
                long line = parser.getCurrentLineNumber();
                if (r.size() != header.size()) {
                    throw new GraftException(file + ":" + line + ": expected " + header.size() + " fields " + header
                            + ", found " + r.size() + (delimiter == '\t' ? " (tab-separated)" : " (quote fields that contain commas)"));
                }
                Map<String, String> fields = new LinkedHashMap<>();
                for (int i = 0; i < header.size(); i++) {
                    fields.put(header.get(i), r.get(i));
                }
                rows.add(new DataRow(fields, file + ":" + line));
            }
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new GraftException(file + ": malformed " + (delimiter == '\t' ? "TSV" : "CSV") + " (" + e.getMessage() + ")");
        }
        return rows;
    }
}
