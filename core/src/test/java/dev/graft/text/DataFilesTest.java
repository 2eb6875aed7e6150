package dev.graft.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data files users hand Graft, as spreadsheets, editors and scripts write them. */
class DataFilesTest {
    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, content.getBytes(StandardCharsets.UTF_8));
        return f;
    }

    @Test
    void csvQuotingFollowsRfc4180() throws IOException {
        Path f = write("q.csv", "text,label\n\"hello, \"\"world\"\"\",a\nplain,b\n\"\",c\n");
        List<DataRow> rows = DataFiles.read(f);
        assertEquals(List.of("hello, \"world\"", "plain", ""), DataFiles.texts(f, "text"));
        assertEquals("a", rows.get(0).fields().get("label"));
        assertEquals(f + ":2", rows.get(0).source());
    }

    @Test
    void aByteOrderMarkIsNotPartOfTheFirstColumnName() throws IOException {
        // Excel's "CSV UTF-8" starts the file with U+FEFF
        Path csv = write("bom.csv", "\uFEFFtext,label\nbonjour,fr\n");
        assertEquals(List.of("bonjour"), DataFiles.texts(csv, "text"));
        Path txt = write("bom.txt", "\uFEFFfirst\nsecond\n");
        assertEquals(List.of("first", "second"), DataFiles.texts(txt, "text"));
        Path jsonl = write("bom.jsonl", "\uFEFF{\"text\": \"hi\"}\n");
        assertEquals(List.of("hi"), DataFiles.texts(jsonl, "text"));
    }

    @Test
    void windowsLineEndingsLeaveNoCarriageReturns() throws IOException {
        Path csv = write("crlf.csv", "text,label\r\none,a\r\n\"two\",b\r\n");
        List<DataRow> rows = DataFiles.read(csv);
        assertEquals(Map.of("text", "one", "label", "a"), rows.get(0).fields());
        assertEquals(Map.of("text", "two", "label", "b"), rows.get(1).fields());
        assertEquals(List.of("x", "y"), DataFiles.texts(write("crlf.txt", "x\r\ny\r\n"), "text"));
        assertEquals(List.of("z"), DataFiles.texts(write("crlf.jsonl", "{\"text\":\"z\"}\r\n\r\n"), "text"));
    }

    @Test
    void quotedFieldsMayHoldNewlines() throws IOException {
        Path f = write("nl.csv", "text,label\n\"line one\nline two\",a\n\"crlf\r\ninside\",b\nlast,c\n");
        assertEquals(List.of("line one\nline two", "crlf\r\ninside", "last"), DataFiles.texts(f, "text"));
    }

    @Test
    void aMissingColumnIsOneLineNamingTheFileTheColumnAndThoseFound() throws IOException {
        Path f = write("cols.csv", "body,label\nhi,a\n");
        GraftException e = assertThrows(GraftException.class, () -> DataFiles.texts(f, "text"));
        assertTrue(e.getMessage().startsWith(f + ": no column 'text'"), e.getMessage());
        assertTrue(e.getMessage().contains("[body, label]"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void aShortRowIsOneLineNamingItsLine() throws IOException {
        Path f = write("short.csv", "text,label\nok,a\nmissing\n");
        GraftException e = assertThrows(GraftException.class, () -> DataFiles.read(f));
        assertTrue(e.getMessage().startsWith(f + ":3: expected 2 fields"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void tsvSplitsOnTabsOnly() throws IOException {
        Path f = write("t.tsv", "text\tlabel\nhello, world\tgreeting\nsemi;colon\tother\n");
        assertEquals(List.of("hello, world", "semi;colon"), DataFiles.texts(f, "text"));
        assertEquals(List.of("greeting", "other"), DataFiles.texts(f, "label"));
    }

    @Test
    void jsonLinesTakesScalarsAndLabelListsAndSkipsBlankLinesAndNulls() throws IOException {
        Path f = write("d.jsonl", "{\"text\": \"a\", \"label\": 3, \"score\": 0.5}\n\n"
                + "{\"text\": \"b\", \"label\": [\"x\", \"y\"], \"note\": null}\n");
        List<DataRow> rows = DataFiles.read(f);
        assertEquals(Map.of("text", "a", "label", "3", "score", "0.5"), rows.get(0).fields());
        assertEquals(Map.of("text", "b", "label", "x,y"), rows.get(1).fields());
        assertEquals(f + ":3", rows.get(1).source());
    }

    @Test
    void badJsonLinesNameTheLine() throws IOException {
        Path broken = write("broken.jsonl", "{\"text\": \"a\"}\n{\"text\": \n");
        GraftException e = assertThrows(GraftException.class, () -> DataFiles.read(broken));
        assertTrue(e.getMessage().startsWith(broken + ":2: not valid JSON"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        Path array = write("array.jsonl", "[1, 2]\n");
        assertTrue(assertThrows(GraftException.class, () -> DataFiles.read(array)).getMessage()
                .startsWith(array + ":1: expected a JSON object per line"));
        Path nested = write("nested.jsonl", "{\"text\": {\"a\": 1}}\n");
        assertTrue(assertThrows(GraftException.class, () -> DataFiles.read(nested)).getMessage()
                .contains("field 'text' must be a string, number or list of labels, got object"));
    }

    @Test
    void unreadableInputsSayWhy() throws IOException {
        Path latin1 = dir.resolve("latin1.csv");
        Files.write(latin1, "text\ncaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(latin1 + ": not valid UTF-8 text", assertThrows(GraftException.class, () -> DataFiles.read(latin1)).getMessage());
        Path empty = write("empty.csv", "text,label\n");
        assertEquals(empty + ": the file has no data rows", assertThrows(GraftException.class, () -> DataFiles.read(empty)).getMessage());
        Path xlsx = write("sheet.xlsx", "");
        assertTrue(assertThrows(GraftException.class, () -> DataFiles.read(xlsx)).getMessage().contains("unsupported file type '.xlsx'"));
        assertEquals(dir.resolve("none.csv") + ": file not found",
                assertThrows(GraftException.class, () -> DataFiles.read(dir.resolve("none.csv"))).getMessage());
    }
}
