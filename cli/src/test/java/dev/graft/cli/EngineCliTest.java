package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --engine} on embed and predict: the engines agree, auto picks ONNX Runtime where a graph exists, errors are one line. */
class EngineCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void embedOnEitherEngineGivesTheSameVectors() throws Exception {
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "the cat sat on the mat\nJava on the JVM\n" + "a longer text that pads the others ".repeat(8) + "\n");
        double[][][] vectors = new double[3][][];
        String[] engines = {"auto", "onnxruntime", "pytorch"};
        for (int e = 0; e < engines.length; e++) {
            Path out = dir.resolve(engines[e] + ".jsonl");
            CliTest.Run r = CliTest.run("embed", "--model", "all-minilm-l6-v2", "--input", in.toString(), "--output", out.toString(),
                    "--engine", engines[e], "--json", "--quiet");
            assertEquals(0, r.code(), r.err());
            assertEquals(e == 2 ? "pytorch" : "onnxruntime", JSON.readTree(r.out()).get("engine").asText(), engines[e]);
            List<String> lines = Files.readAllLines(out);
            vectors[e] = new double[lines.size()][];
            for (int i = 0; i < lines.size(); i++) {
                vectors[e][i] = JSON.treeToValue(JSON.readTree(lines.get(i)).get("embedding"), double[].class);
            }
        }
        double worst = 0;
        for (int i = 0; i < vectors[2].length; i++) {
            for (int h = 0; h < vectors[2][i].length; h++) {
                worst = Math.max(worst, Math.abs(vectors[1][i][h] - vectors[2][i][h]));
            }
        }
        assertTrue(worst <= 1e-4, "onnxruntime vs pytorch: " + worst);
    }

    @Test
    void onnxRuntimeWithoutAGraphFailsInOneLineAndAutoFallsBack() throws Exception {
        Path model = CliTest.tinyModel(dir);
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "the cat\na good dog\n");
        CliTest.Run ort = CliTest.run("embed", "--model", model.toString(), "--input", in.toString(), "--output",
                dir.resolve("v.npy").toString(), "--engine", "onnxruntime");
        assertEquals(1, ort.code());
        assertEquals("graft: --engine onnxruntime: " + model + " has no ONNX graph (the bundled models have one; for a model"
                + " directory export one with graft export --format onnx); use --engine pytorch or auto", ort.err().strip());
        CliTest.Run auto = CliTest.run("embed", "--model", model.toString(), "--input", in.toString(), "--output",
                dir.resolve("v.npy").toString(), "--json");
        assertEquals(0, auto.code(), auto.err());
        assertEquals("pytorch", JSON.readTree(auto.out()).get("engine").asText());
        CliTest.Run bad = CliTest.run("embed", "--model", model.toString(), "--input", in.toString(), "--output",
                dir.resolve("v.npy").toString(), "--engine", "tensorrt");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("unknown engine 'tensorrt': expected one of [auto, onnxruntime, pytorch]"), bad.err());
    }

    @Test
    void predictRunsAHeadAdapterOnOnnxRuntimeAndRefusesAnAdapterThatChangesTheEncoder() throws Exception {
        StringBuilder csv = new StringBuilder("text,label\n");
        for (var e : dev.graft.train.ToyTasks.sentiment(24, 1)) {
            csv.append(e.text()).append(',').append(e.label()).append('\n');
        }
        Path train = dir.resolve("train.csv");
        Files.writeString(train, csv);
        Path head = dir.resolve("head");
        CliTest.Run tune = CliTest.run("tune", "--model", "all-minilm-l6-v2", "--train", train.toString(), "--method", "head",
                "--max-length", "32", "--quiet", "--output", head.toString());
        assertEquals(0, tune.code(), tune.err());
        double[][] probabilities = new double[2][];
        String[] engines = {"onnxruntime", "pytorch"};
        for (int e = 0; e < 2; e++) {
            Path out = dir.resolve(engines[e] + ".jsonl");
            CliTest.Run p = CliTest.run("predict", "--adapter", head.toString(), "--input", train.toString(), "--output",
                    out.toString(), "--engine", engines[e]);
            assertEquals(0, p.code(), p.err());
            probabilities[e] = Files.readAllLines(out).stream()
                    .mapToDouble(l -> readTree(l).get("probabilities").elements().next().asDouble()).toArray();
        }
        for (int i = 0; i < probabilities[0].length; i++) {
            assertEquals(probabilities[1][i], probabilities[0][i], 1e-4, "example " + i);
        }

        Path model = CliTest.tinyModel(dir);
        Path lora = dir.resolve("lora");
        assertEquals(0, CliTest.run("tune", "--model", model.toString(), "--train", train.toString(), "--method", "lora",
                "--updates", "2", "--no-holdout", "--no-probe-init", "--max-length", "16", "--quiet", "--output", lora.toString()).code());
        CliTest.Run refused = CliTest.run("predict", "--model", model.toString(), "--adapter", lora.toString(), "--input",
                train.toString(), "--output", dir.resolve("p.jsonl").toString(), "--engine", "onnxruntime");
        assertEquals(1, refused.code());
        assertTrue(refused.err().startsWith("graft: --engine onnxruntime: the lora adapter changes the encoder"), refused.err());
    }

    private static JsonNode readTree(String line) {
        try {
            return JSON.readTree(line);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
