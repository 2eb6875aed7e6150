package dev.graft.io.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncated, corrupt and hostile ONNX files fail with a one-line {@link OnnxFormatException} naming the file; never
 * an OutOfMemoryError, an IndexOutOfBoundsException or a stack overflow. The model is encoded here by hand with the
 * field numbers of {@code onnx.proto}.
 */
class OnnxModelReaderTest {
    private static final String SOURCE = "hostile.onnx";

    @TempDir
    Path dir;

    /** A field: tag then body, for assembling messages. */
    private static byte[] field(int number, int wireType, byte[] body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeTag(number, wireType);
        if (wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            out.writeUInt32NoTag(body.length);
        }
        out.writeRawBytes(body);
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] message(int number, byte[]... fields) throws IOException {
        return field(number, WireFormat.WIRETYPE_LENGTH_DELIMITED, concat(fields));
    }

    private static byte[] string(int number, String s) throws IOException {
        return field(number, WireFormat.WIRETYPE_LENGTH_DELIMITED, s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static byte[] varint(int number, long v) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeInt64(number, v);
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    /** TensorProto: dims (1), data_type (2), name (8), raw_data (9). */
    private static byte[] tensor(int number, String name, byte[] raw, long... dims) throws IOException {
        byte[][] parts = new byte[dims.length + 3][];
        for (int i = 0; i < dims.length; i++) {
            parts[i] = varint(1, dims[i]);
        }
        parts[dims.length] = varint(2, OnnxTensor.FLOAT);
        parts[dims.length + 1] = string(8, name);
        parts[dims.length + 2] = field(9, WireFormat.WIRETYPE_LENGTH_DELIMITED, raw);
        return message(number, parts);
    }

    /** A small valid model: one MatMul node, one initializer, one Constant node with a tensor attribute. */
    static byte[] validModel() throws IOException {
        byte[] matmul = message(1, string(1, "x"), string(1, "w"), string(2, "y"), string(3, "mm"), string(4, "MatMul"));
        byte[] constant = message(1, string(2, "c"), string(4, "Constant"),
                message(5, string(1, "value"), tensor(5, "", floats(7f), 1)));
        byte[] graph = message(7, matmul, constant, tensor(5, "w", floats(1, 2, 3, 4, 5, 6), 2, 3),
                message(11, string(1, "x")), message(12, string(1, "y")));
        return concat(varint(1, 8), graph); // ir_version 8, then the graph
    }

    private static void assertOneLineFormatError(byte[] bytes, String what) {
        try {
            OnnxModelReader.read(new java.io.ByteArrayInputStream(bytes), SOURCE);
            fail(what + ": expected an OnnxFormatException");
        } catch (OnnxFormatException e) {
            assertTrue(e.getMessage().startsWith(SOURCE + ": "), what + ": " + e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), what + ": " + e.getMessage());
        } catch (IOException | RuntimeException | Error e) {
            throw new AssertionError(what + ": " + e, e);
        }
    }

    @Test
    void theValidModelReads() throws IOException {
        OnnxGraph g = OnnxModelReader.read(new java.io.ByteArrayInputStream(validModel()), SOURCE);
        assertEquals(2, g.nodes().size());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, g.initializers().get("w").toFloatArray());
        assertArrayEquals(new float[] {7}, g.initializers().get("c").toFloatArray());
        assertEquals(java.util.List.of("x"), g.inputs());
    }

    @Test
    void anEmptyFileNamesItself() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.onnx"));
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxModelReader.read(empty));
        assertEquals(empty + ": not an ONNX model (no graph found)", e.getMessage());
    }

    @Test
    void everyTruncationFailsCleanly() throws IOException {
        byte[] model = validModel();
        for (int n = 1; n < model.length; n++) {
            assertOneLineFormatError(Arrays.copyOf(model, n), "first " + n + " of " + model.length + " bytes");
        }
    }

    @Test
    void absurdAndNegativeLengthsFailCleanly() throws IOException {
        byte[] tag = {(byte) ((7 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED)};
        byte[] huge = {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07}; // 2^31 - 2
        byte[] negative = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
            (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01}; // -1 as a 10-byte varint
        assertOneLineFormatError(concat(tag, huge, new byte[10]), "graph of 2 GiB in a tiny file");
        assertOneLineFormatError(concat(tag, negative, new byte[10]), "graph of length -1");
        // the same inside the graph: a node, and a tensor's packed float_data, claiming far more than there is
        assertOneLineFormatError(concat(tag, new byte[] {7, 0x0a}, huge, new byte[] {1}), "node of 2 GiB");
        byte[] packed = concat(new byte[] {(byte) ((4 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED)}, huge);
        assertOneLineFormatError(message(7, field(5, WireFormat.WIRETYPE_LENGTH_DELIMITED, packed)), "float_data of 2 GiB");
    }

    @Test
    void wrongWireTypesFailCleanly() throws IOException {
        // the graph as a varint and as a fixed64: then there is no graph
        assertOneLineFormatError(varint(7, 5), "graph as a varint");
        assertOneLineFormatError(field(7, WireFormat.WIRETYPE_FIXED64, new byte[8]), "graph as fixed64");
        // a node's input as a varint; a tensor's dims as a fixed32; an end-group tag with no group
        assertOneLineFormatError(message(7, message(1, varint(1, 300))), "node input as a varint");
        assertOneLineFormatError(message(7, message(5, field(1, WireFormat.WIRETYPE_FIXED32, new byte[4]),
                string(8, "t"))), "dims as fixed32");
        assertOneLineFormatError(message(7, field(1, WireFormat.WIRETYPE_END_GROUP, new byte[0])), "stray end-group");
        assertOneLineFormatError(new byte[] {(byte) ((7 << 3) | 6)}, "wire type 6 does not exist");
    }

    @Test
    void shapesThatDoNotFitTheDataFailCleanly() throws IOException {
        assertOneLineFormatError(message(7, tensor(5, "neg", floats(1, 2), -1, -2)), "negative dimensions");
        // 2^62 x 4 elements overflow a long to 0, which would match empty data
        assertOneLineFormatError(message(7, tensor(5, "big", new byte[0], 1L << 62, 4)), "element count overflows");
        assertOneLineFormatError(message(7, tensor(5, "short", floats(1, 2), 2, 3)), "6 elements, 2 stored");
    }

    @Test
    void externalDataOutsideTheFileFailsCleanly() throws IOException {
        Files.write(dir.resolve("weights.bin"), new byte[16]);
        byte[] entryLocation = message(13, string(1, "location"), string(2, "weights.bin"));
        for (String[] bad : new String[][] {{"offset", "-4"}, {"length", "1000"}, {"offset", "twelve"},
            {"offset", "9223372036854775800", "length", "100"}, {"location", "../../etc/passwd"}}) {
            byte[] entries = new byte[0];
            for (int i = 0; i < bad.length; i += 2) {
                entries = concat(entries, message(13, string(1, bad[i]), string(2, bad[i + 1])));
            }
            byte[] t = message(5, varint(1, 2), varint(2, OnnxTensor.FLOAT), string(8, "w"), entryLocation, entries,
                    varint(14, 1));
            Path f = dir.resolve("ext.onnx");
            Files.write(f, message(7, t));
            OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxModelReader.read(f), bad[0]);
            assertTrue(e.getMessage().startsWith(f + ": tensor 'w'"), e.getMessage());
        }
        byte[] missing = message(5, varint(1, 2), varint(2, OnnxTensor.FLOAT), string(8, "w"),
                message(13, string(1, "location"), string(2, "gone.bin")), varint(14, 1));
        Path f = dir.resolve("missing.onnx");
        Files.write(f, message(7, missing));
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxModelReader.read(f));
        assertTrue(e.getMessage().contains("gone.bin"), e.getMessage());
    }

    @Test
    void randomCorruptionFailsCleanlyOrReads() throws IOException {
        byte[] model = validModel();
        Random random = new Random(5);
        for (int i = 0; i < 3000; i++) {
            byte[] bad = model.clone();
            for (int k = 1 + random.nextInt(3); k > 0; k--) {
                bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
            }
            try {
                OnnxModelReader.read(new java.io.ByteArrayInputStream(bad), SOURCE);
            } catch (OnnxFormatException e) {
                assertTrue(e.getMessage().startsWith(SOURCE + ": "), e.getMessage());
                assertEquals(1, e.getMessage().lines().count(), e.getMessage());
            } catch (IOException | RuntimeException | Error e) {
                throw new AssertionError("mutant " + i + " " + Arrays.toString(bad) + ": " + e, e);
            }
        }
    }
}
