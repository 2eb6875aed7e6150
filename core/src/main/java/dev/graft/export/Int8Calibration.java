package dev.graft.export;

import dev.graft.GraftException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Calibration texts for an int8 export: one per line, {@code #} starts a comment, {@code \n} is a line break. */
public final class Int8Calibration {
    private static final String BUILT_IN = "int8-calibration.txt";

    private Int8Calibration() {
    }

    /** Graft's own sample: 60-odd varied texts (prose, questions, code, numbers, several scripts). */
    public static List<String> builtIn() {
        try (InputStream in = Int8Calibration.class.getResourceAsStream(BUILT_IN)) {
            if (in == null) {
                throw new GraftException("the built-in int8 calibration texts are missing from the jar");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new GraftException("reading the built-in int8 calibration texts: " + e.getMessage());
        }
    }

    /** A file's texts, one per non-empty line. */
    public static List<String> read(Path file) {
        try {
            List<String> texts = parse(Files.readString(file));
            if (texts.isEmpty()) {
                throw new GraftException(file + ": no calibration texts in it");
            }
            return texts;
        } catch (IOException e) {
            throw new GraftException(file + ": cannot read the calibration texts: " + e.getMessage());
        }
    }

    static List<String> parse(String content) {
        return content.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).map(l -> l.replace("\\n", "\n")).toList();
    }
}
