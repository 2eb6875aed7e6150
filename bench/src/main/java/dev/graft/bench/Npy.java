package dev.graft.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Minimal reader for the .npy files the benches exchange with NumPy: C-order, little-endian f8/f4/i8/i4, 1-D or 2-D. */
final class Npy {
    private Npy() {}

    record Array(String dtype, int rows, int cols, ByteBuffer data) {}

    static Array read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.get() != (byte) 0x93 || b.get() != 'N') {
            throw new IOException(file + ": not an .npy file");
        }
        b.position(6);
        int major = b.get();
        b.get();
        int headerLen = major == 1 ? Short.toUnsignedInt(b.getShort()) : b.getInt();
        byte[] h = new byte[headerLen];
        b.get(h);
        String header = new String(h, StandardCharsets.ISO_8859_1);
        Matcher descr = Pattern.compile("'descr':\\s*'([<|=]?)(\\w\\d)'").matcher(header);
        Matcher shape = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d*)\\)").matcher(header);
        if (!descr.find() || !shape.find() || header.contains("'fortran_order': True")) {
            throw new IOException(file + ": unsupported .npy header " + header.trim());
        }
        int rows = Integer.parseInt(shape.group(1));
        int cols = shape.group(2).isEmpty() ? 1 : Integer.parseInt(shape.group(2));
        return new Array(descr.group(2), rows, cols, b.slice().order(ByteOrder.LITTLE_ENDIAN));
    }

    static double[][] readMatrix(Path file) throws IOException {
        Array a = read(file);
        double[][] out = new double[a.rows()][a.cols()];
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < a.cols(); j++) {
                out[i][j] = switch (a.dtype()) {
                    case "f8" -> a.data().getDouble();
                    case "f4" -> a.data().getFloat();
                    default -> throw new IOException(file + ": expected float features, got " + a.dtype());
                };
            }
        }
        return out;
    }

    static int[] readLabels(Path file) throws IOException {
        Array a = read(file);
        int[] out = new int[a.rows()];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (a.dtype()) {
                case "i8" -> (int) a.data().getLong();
                case "i4" -> a.data().getInt();
                default -> throw new IOException(file + ": expected integer labels, got " + a.dtype());
            };
        }
        return out;
    }
}
