package dev.graft.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Vectors as text, one row a line, numbers separated by spaces (what EmbedBench's --dump writes too). */
final class Dumps {
    private Dumps() {
    }

    static void write(Path file, float[][] rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (float[] v : rows) {
            for (int i = 0; i < v.length; i++) {
                sb.append(i == 0 ? "" : " ").append(v[i]);
            }
            sb.append('\n');
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, sb);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** @return [rows, width] */
    static float[][] read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        float[][] out = new float[lines.size()][];
        for (int r = 0; r < out.length; r++) {
            String[] p = lines.get(r).split(" ");
            out[r] = new float[p.length];
            for (int i = 0; i < p.length; i++) {
                out[r][i] = Float.parseFloat(p[i]);
            }
        }
        return out;
    }
}
