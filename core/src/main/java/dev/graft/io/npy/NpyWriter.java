package dev.graft.io.npy;

import dev.graft.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Writes NumPy {@code .npy} files (format version 1.0): magic {@code \x93NUMPY}, version, a little-endian uint16
 * header length, a Python-dict header padded with spaces and a newline so the data starts at a multiple of 64, then
 * the raw little-endian data.
 */
public final class NpyWriter {
    private NpyWriter() {
    }

    /** Writes a [rows, cols] float32 matrix ({@code '<f4'}, C order), atomically. */
    public static void writeFloat32(Path file, float[][] rows) throws IOException {
        int n = rows.length;
        int d = n == 0 ? 0 : rows[0].length;
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + n + ", " + d + "), }";
        int base = 6 + 2 + 2; // magic, version, header length
        int total = base + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(base + h.length + n * d * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) h.length).put(h);
        for (float[] r : rows) {
            if (r.length != d) {
                throw new IllegalArgumentException("rows have different lengths");
            }
            for (float v : r) {
                b.putFloat(v);
            }
        }
        AtomicFiles.write(file, b.array());
    }

    /** Writes a [n] int64 vector ({@code '<i8'}), atomically (labels next to features). */
    public static void writeInt64(Path file, long[] values) throws IOException {
        String dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (" + values.length + ",), }";
        int base = 6 + 2 + 2;
        int total = base + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        byte[] h = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(base + h.length + values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) h.length).put(h);
        for (long v : values) {
            b.putLong(v);
        }
        AtomicFiles.write(file, b.array());
    }
}
