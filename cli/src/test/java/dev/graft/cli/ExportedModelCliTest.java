package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory {@code graft export --format onnx} wrote is a model for {@code graft embed} (ONNX Runtime alone: there
 * are no PyTorch weights in it) and is refused in one line, saying what to pass, by the commands that need weights.
 */
class ExportedModelCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void embedRunsAnOnnxExportDirectoryAndOtherCommandsSayWhatToDo() throws Exception {
        Path model = CliTest.tinyModel(dir);
        Path export = dir.resolve("exported");
        CliTest.Run x = CliTest.run("export", "--model", model.toString(), "--format", "onnx", "--output", export.toString());
        assertEquals(0, x.code(), x.err());
        assertFalse(Files.exists(export.resolve("config.json")));
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "the cat\na good dog sat on the mat\n");

        double[][] fromModel = embed(model, "--engine", "pytorch");
        CliTest.Run r = CliTest.run("embed", "--model", export.toString(), "--input", in.toString(), "--output",
                dir.resolve("x.jsonl").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode summary = JSON.readTree(r.out());
        assertEquals("onnxruntime", summary.get("engine").asText());
        double[][] fromExport = read(dir.resolve("x.jsonl"));
        assertEquals(fromModel.length, fromExport.length);
        for (int i = 0; i < fromModel.length; i++) {
            for (int h = 0; h < fromModel[i].length; h++) {
                assertEquals(fromModel[i][h], fromExport[i][h], 1e-4, "text " + i + " dimension " + h);
            }
        }

        CliTest.Run pytorch = CliTest.run("embed", "--model", export.toString(), "--input", in.toString(), "--output",
                dir.resolve("p.jsonl").toString(), "--engine", "pytorch");
        assertEquals(1, pytorch.code());
        assertTrue(pytorch.err().contains("runs on ONNX Runtime only"), pytorch.err());
        Path labelled = dir.resolve("data.csv");
        Files.writeString(labelled, "text,label\nthe cat,a\na good dog,b\n");
        CliTest.Run features = CliTest.run("features", "--model", export.toString(), "--data", labelled.toString(), "--output",
                dir.resolve("f.npy").toString());
        assertEquals(1, features.code());
        assertTrue(features.err().contains("an ONNX export holds no PyTorch weights"), features.err());
        assertEquals(1, features.err().strip().lines().count(), features.err());
    }

    private double[][] embed(Path model, String... extra) throws Exception {
        Path out = dir.resolve("m.jsonl");
        List<String> args = new java.util.ArrayList<>(List.of("embed", "--model", model.toString(), "--input",
                dir.resolve("in.txt").toString(), "--output", out.toString()));
        args.addAll(List.of(extra));
        CliTest.Run r = CliTest.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return read(out);
    }

    private static double[][] read(Path jsonl) throws Exception {
        List<String> lines = Files.readAllLines(jsonl);
        double[][] v = new double[lines.size()][];
        for (int i = 0; i < lines.size(); i++) {
            v[i] = JSON.treeToValue(JSON.readTree(lines.get(i)).get("embedding"), double[].class);
        }
        return v;
    }
}
