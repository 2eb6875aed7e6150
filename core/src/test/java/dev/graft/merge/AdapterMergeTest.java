package dev.graft.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import dev.graft.runtime.Progress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterMergeTest {
    @TempDir
    Path tmp;
    static final String MODULE = "bert.encoder.layer.0.attention.self.query";
    static final int H = TinyCheckpoints.HIDDEN;

    @Test
    void truncatedSvdRoundTrip() {
        Random r = new Random(1);
        int out = 12;
        int in = 9;
        int rank = 3;
        float[] b = TinyCheckpoints.gauss(r, out * rank);
        float[] a = TinyCheckpoints.gauss(r, rank * in);
        float[] m = Lowrank.product(b, out, rank, a, in, 1.0);
        Lowrank.Factors f = Lowrank.truncatedSvd(m, out, in, rank);
        float[] back = Lowrank.product(f.b(), out, rank, f.a(), in, 1.0);
        for (int i = 0; i < m.length; i++) {
            assertEquals(m[i], back[i], 1e-3, "a rank-3 matrix survives a rank-3 SVD");
        }
        assertTrue(f.singularValues()[0] >= f.singularValues()[1] && f.singularValues()[1] >= f.singularValues()[2]);
        // at rank 1 the error is the tail of the spectrum (Eckart–Young): ||M - M1||_F^2 = s2^2 + s3^2
        Lowrank.Factors one = Lowrank.truncatedSvd(m, out, in, 1);
        float[] m1 = Lowrank.product(one.b(), out, 1, one.a(), in, 1.0);
        double err = 0;
        for (int i = 0; i < m.length; i++) {
            err += (m[i] - m1[i]) * (m[i] - m1[i]);
        }
        double s2 = f.singularValues()[1];
        double s3 = f.singularValues()[2];
        assertEquals(s2 * s2 + s3 * s3, err, 1e-2 * err);
    }

    private Path run(String yaml) throws Exception {
        Path cfg = tmp.resolve("m" + System.nanoTime() + ".yml");
        Files.writeString(cfg, yaml);
        Path out = tmp.resolve("out" + System.nanoTime());
        Merger.run(cfg, out, new Merger.Options(1 << 20, 2, true, Progress.NONE));
        return out;
    }

    private static float[] delta(Path adapterDir) {
        try (LoraAdapter ad = LoraAdapter.open(adapterDir)) {
            return ad.delta(MODULE);
        }
    }

    @Test
    void catIsExactAndLinearSvdAreWeightedSums() throws Exception {
        TinyCheckpoints.adapter(tmp.resolve("x"), 1, 2, 4, 2);
        TinyCheckpoints.adapter(tmp.resolve("y"), 2, 3, 3, 3);
        float[] dx = delta(tmp.resolve("x"));
        float[] dy = delta(tmp.resolve("y"));
        String models = "models:\n  - model: x\n    parameters: {weight: 0.7}\n  - model: y\n    parameters: {weight: 0.4}\n";
        Path cat = run(models + "merge_method: peft_cat\n");
        Path svd = run(models + "merge_method: peft_svd\nparameters: {rank: 5}\n");
        Path dense = run(models + "merge_method: linear\nparameters: {normalize: false, rank: 5}\n");
        for (Path p : List.of(cat, svd, dense)) {
            try (LoraAdapter m = LoraAdapter.open(p)) {
                assertEquals(5, m.rank());
                assertEquals(1.0, m.scale(), 0);
                float[] d = m.delta(MODULE);
                for (int i = 0; i < d.length; i++) {
                    assertEquals(0.7 * dx[i] + 0.4 * dy[i], d[i], 1e-3, p.getFileName() + " element " + i);
                }
            }
        }
        // each task keeps its head in a loadable adapter beside the merged one
        assertTrue(Files.isRegularFile(cat.resolve("heads/0-x/adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(cat.resolve("heads/1-y/graft_task.json")));
        assertTrue(Files.readString(cat.resolve("heads/1-y/adapter_config.json")).contains("classifier"));
    }

    @Test
    void peftLinearCombinesFactorsWithSquareRootWeights() throws Exception {
        Path x = TinyCheckpoints.adapter(tmp.resolve("x"), 1, 2, 4, 2);
        Path y = TinyCheckpoints.adapter(tmp.resolve("y"), 2, 2, 2, 2);
        Path out = run("models:\n  - model: x\n    parameters: {weight: 0.5}\n  - model: y\n    parameters: {weight: 2}\nmerge_method: peft_linear\n");
        try (LoraAdapter ax = LoraAdapter.open(x); LoraAdapter ay = LoraAdapter.open(y); LoraAdapter m = LoraAdapter.open(out)) {
            double wx = Math.sqrt(0.5 * 2.0); // weight * (alpha/r)
            double wy = Math.sqrt(2 * 1.0);
            float[] a = m.a(MODULE);
            float[] b = m.b(MODULE);
            for (int i = 0; i < a.length; i++) {
                assertEquals(wx * ax.a(MODULE)[i] + wy * ay.a(MODULE)[i], a[i], 1e-5);
                assertEquals(wx * ax.b(MODULE)[i] + wy * ay.b(MODULE)[i], b[i], 1e-5);
            }
        }
        // unequal ranks are refused for the factor-wise combinations, as PEFT does
        TinyCheckpoints.adapter(tmp.resolve("z"), 3, 4, 4, 2);
        GraftException e = assertThrows(GraftException.class, () -> run("models: [x, z]\nmerge_method: peft_ties\nparameters: {density: 0.5}\n"));
        assertTrue(e.getMessage().contains("equal rank"), e.getMessage());
    }

    @Test
    void denseTiesThenSvdMatchesNaive() throws Exception {
        Path x = TinyCheckpoints.adapter(tmp.resolve("x"), 4, 2, 2, 2);
        Path y = TinyCheckpoints.adapter(tmp.resolve("y"), 5, 2, 2, 2);
        Path out = run("models: [x, y]\nmerge_method: ties\nparameters: {density: 0.5, rank: " + H + "}\n");
        float[] want = MergeMethods.byName("ties").merge(new MergeInput(MODULE, 0, new float[H * H], List.of(delta(x), delta(y)),
                List.of(java.util.Map.of(), java.util.Map.of()), java.util.Map.of("density", 0.5), 0, null));
        float[] got = delta(out);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-3, "full-rank SVD reproduces the dense TIES merge");
        }
    }
}
