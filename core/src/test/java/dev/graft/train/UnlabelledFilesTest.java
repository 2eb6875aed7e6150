package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unlabelled texts for distillation and the pool filter: {@link ExampleFiles.Reader#readUnlabelled}. */
class UnlabelledFilesTest {
    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, content.getBytes(StandardCharsets.UTF_8));
        return f;
    }

    private static List<String> texts(List<Example> examples) {
        return examples.stream().map(Example::text).toList();
    }

    private static void assertOneLine(GraftException e, String... parts) {
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
        }
    }

    @Test
    void textFilesGiveOneTextPerNonBlankLineWithTheirLineNumbers() throws IOException {
        Path f = write("u.txt", "first text\n\n   \nsecond, with a comma\r\n\tthird\n");
        List<Example> got = ExampleFiles.reader().readUnlabelled(f);
        assertEquals(List.of("first text", "second, with a comma", "\tthird"), texts(got));
        assertEquals(List.of(f + ":1", f + ":4", f + ":5"), got.stream().map(Example::source).toList());
        got.forEach(e -> {
            assertNull(e.label());
            assertNull(e.pair());
        });
        // a .txt file has no columns: a text column chosen for CSV files does not apply to it
        assertEquals(texts(got), texts(ExampleFiles.reader().textColumn("sentence").readUnlabelled(f)));
    }

    @Test
    void delimitedFilesReadTheTextColumnAndIgnoreLabels() throws IOException {
        Path csv = write("u.csv", "id,text,label\n1,\"hello, world\",pos\n2,,neg\n3,plain,\n");
        List<Example> got = ExampleFiles.reader().readUnlabelled(csv);
        assertEquals(List.of("hello, world", "plain"), texts(got));
        assertEquals(List.of(csv + ":2", csv + ":4"), got.stream().map(Example::source).toList());
        got.forEach(e -> assertNull(e.label()));

        Path tsv = write("u.tsv", "sentence\tother\nuno, dos\tx\ntres\ty\n");
        assertEquals(List.of("uno, dos", "tres"), texts(ExampleFiles.reader().textColumn("sentence").readUnlabelled(tsv)));
    }

    @Test
    void pairsAreKeptWhenTheFileHasThem() throws IOException {
        Path csv = write("p.csv", "text,text_pair\nq1,a1\nq2,\n");
        List<Example> got = ExampleFiles.reader().readUnlabelled(csv);
        assertEquals("a1", got.get(0).pair());
        assertNull(got.get(1).pair());
    }

    @Test
    void jsonLinesReadTheTextField() throws IOException {
        Path f = write("u.jsonl", "{\"text\": \"one\", \"label\": \"x\", \"n\": 3}\n\n{\"text\": \"two\"}\n{\"text\": \" \"}\n");
        List<Example> got = ExampleFiles.reader().readUnlabelled(f);
        assertEquals(List.of("one", "two"), texts(got));
        assertEquals(List.of(f + ":1", f + ":3"), got.stream().map(Example::source).toList());
        assertNull(got.get(0).label());
    }

    @Test
    void emptyFilesAreOneLineErrorsNamingTheFile() throws IOException {
        Path empty = write("empty.txt", "");
        assertOneLine(assertThrows(GraftException.class, () -> ExampleFiles.reader().readUnlabelled(empty)),
                empty.toString(), "no data rows");
        Path blank = write("blank.txt", "\n  \n\t\n");
        assertOneLine(assertThrows(GraftException.class, () -> ExampleFiles.reader().readUnlabelled(blank)),
                blank.toString(), "blank");
        Path header = write("header.csv", "text,label\n");
        assertOneLine(assertThrows(GraftException.class, () -> ExampleFiles.reader().readUnlabelled(header)),
                header.toString(), "no data rows");
        Path noBytes = write("nothing.csv", "");
        assertOneLine(assertThrows(GraftException.class, () -> ExampleFiles.reader().readUnlabelled(noBytes)),
                noBytes.toString());
    }

    @Test
    void aMissingTextColumnNamesTheFileAndItsColumns() throws IOException {
        Path csv = write("cols.csv", "body,label\nhi,a\n");
        assertOneLine(assertThrows(GraftException.class, () -> ExampleFiles.reader().readUnlabelled(csv)),
                csv + ": no column 'text'", "[body, label]");
        Path jsonl = write("cols.jsonl", "{\"sentence\": \"hi\"}\n");
        assertOneLine(assertThrows(GraftException.class, () -> ExampleFiles.reader().readUnlabelled(jsonl)),
                jsonl + ": no column 'text'", "[sentence]");
        Path later = write("later.jsonl", "{\"text\": \"hi\"}\n{\"sentence\": \"ho\"}\n");
        assertOneLine(assertThrows(GraftException.class, () -> ExampleFiles.reader().readUnlabelled(later)),
                later + ":2: no value in column 'text'");
    }

    @Test
    void labelledReadingOfTextFilesIgnoresTheTextColumnToo() throws IOException {
        Path f = write("predict.txt", "a\nb\n");
        assertEquals(List.of("a", "b"), texts(ExampleFiles.reader().textColumn("sentence").labelsRequired(false).read(f)));
    }
}
