package dev.graft.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    @Test
    void rowsBecomeOneRowMajorMatrix() throws IOException {
        Path f = dir.resolve("rows.safetensors");
        new SafetensorsWriter().addRows("x", new float[][] {{1, 2, 3}, {4, 5, 6}}).addRows("none", new float[0][]).write(f);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertArrayEquals(new long[] {2, 3}, s.shape("x"));
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, s.readFloats("x"));
            assertArrayEquals(new long[] {0, 0}, s.shape("none"));
        }
        GraftException ragged = assertThrows(GraftException.class,
                () -> new SafetensorsWriter().addRows("y", new float[][] {{1, 2}, {3}}));
        assertEquals("tensor 'y': row 1 has 1 values, row 0 has 2", ragged.getMessage());
    }

    @Test
    void roundTripEveryDtypeWithSortedKeysMetadataAndAlignment() throws IOException {
        Path f = dir.resolve("t.safetensors");
        float[] vals = {1.5f, -2.25f, 0f, 65504f, 1e-3f, -0f};
        new SafetensorsWriter().metadata("format", "pt")
                .addFloats("z.f32", new long[] {2, 3}, vals)
                .addFloats("a.f16", new long[] {6}, vals, DType.F16)
                .addFloats("m.bf16", new long[] {6}, vals, DType.BF16)
                .addLongs("i64", new long[] {3}, new long[] {Long.MIN_VALUE, 0, Long.MAX_VALUE})
                .addInts("i32", new long[] {2}, new int[] {-7, 9})
                .addBytes("u8", DType.U8, new long[] {2}, ByteBuffer.wrap(new byte[] {(byte) 255, 1}))
                .addBytes("flag", DType.BOOL, new long[] {2}, ByteBuffer.wrap(new byte[] {1, 0}))
                .addFloats("scalar", new long[] {}, new float[] {42f})
                .addFloats("empty", new long[] {0, 4}, new float[0])
                .write(f);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(Map.of("format", "pt"), s.metadata());
            assertEquals(List.of("a.f16", "empty", "flag", "i32", "i64", "m.bf16", "scalar", "u8", "z.f32"), List.copyOf(s.names()));
            assertArrayEquals(vals, s.readFloats("z.f32"));
            assertArrayEquals(new long[] {2, 3}, s.shape("z.f32"));
            float[] half = s.readFloats("a.f16");
            float[] bf = s.readFloats("m.bf16");
            for (int i = 0; i < vals.length; i++) {
                assertEquals(vals[i], half[i], Math.abs(vals[i]) * 1e-3 + 1e-6);
                assertEquals(vals[i], bf[i], Math.abs(vals[i]) * 1e-2 + 1e-6);
            }
            assertArrayEquals(new long[] {Long.MIN_VALUE, 0, Long.MAX_VALUE}, s.readLongs("i64"));
            assertArrayEquals(new long[] {-7, 9}, s.readLongs("i32"));
            assertArrayEquals(new long[] {255, 1}, s.readLongs("u8"));
            assertArrayEquals(new long[] {1, 0}, s.readLongs("flag"));
            assertArrayEquals(new float[] {42f}, s.readFloats("scalar"));
            assertEquals(0, s.readFloats("empty").length);
        }
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8, "data section is 8-byte aligned");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.indexOf("\"a.f16\"") < header.indexOf("\"z.f32\""), "keys sorted in the header");
    }

    @Test
    void shardedStoreRoundTrip() throws IOException {
        new SafetensorsWriter().addFloats("a", new long[] {2}, new float[] {1, 2}).write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().addFloats("b", new long[] {1}, new float[] {3}).write(dir.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\": {\"total_size\": 12}, \"weight_map\": {"
                + "\"a\": \"model-00001-of-00002.safetensors\", \"b\": \"model-00002-of-00002.safetensors\"}}");
        try (SafetensorsStore s = SafetensorsStore.open(dir)) {
            assertEquals(List.of("a", "b"), List.copyOf(s.names()));
            assertArrayEquals(new float[] {3}, s.readFloats("b"));
            assertEquals(2, s.files().size());
        }
    }

    @Test
    void shardProblemsAreClearErrors() throws IOException {
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"a\": \"missing.safetensors\"}}");
        assertTrue(assertThrows(GraftException.class, () -> SafetensorsStore.open(dir)).getMessage().contains("does not exist"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"a\": \"../evil.safetensors\"}}");
        assertTrue(assertThrows(SafetensorsFormatException.class, () -> SafetensorsStore.open(dir)).getMessage().contains("same folder"));
        new SafetensorsWriter().addFloats("other", new long[] {1}, new float[] {1}).write(dir.resolve("s.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"a\": \"s.safetensors\"}}");
        try (SafetensorsStore s = SafetensorsStore.open(dir)) {
            assertTrue(assertThrows(SafetensorsFormatException.class, () -> s.readFloats("a")).getMessage().contains("lacks"));
        }
    }

    private Path raw(long headerLength, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(h);
        Path f = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    private void assertBad(Path f, String expected) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().startsWith(f.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
    }

    @Test
    void corruptAndHostileFilesAreOneLineErrors() throws IOException {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertBad(tiny, "shorter than");
        assertBad(raw(1L << 62, "{}", 0), "outside");
        assertBad(raw(0, "", 0), "outside");
        assertBad(raw(100, "{}", 0), "truncated");
        assertBad(raw(5, "{oops", 0), "not valid JSON");
        assertBad(raw(2, "[]", 0), "not a JSON object");
        String ok = "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertEquals(2, SafetensorsFile.open(raw(ok.length(), ok, 8)).readFloats("t").length);
        String unknown = "{\"t\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertBad(raw(unknown.length(), unknown, 8), "unknown dtype");
        String negative = "{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}";
        assertBad(raw(negative.length(), negative, 8), "invalid dimension");
        String outside = "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,800]}}";
        assertBad(raw(outside.length(), outside, 8), "outside the data section");
        String reversed = "{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}";
        assertBad(raw(reversed.length(), reversed, 8), "outside the data section");
        String wrongSize = "{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        assertBad(raw(wrongSize.length(), wrongSize, 8), "needs 12 bytes");
        String overflow = "{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}";
        assertBad(raw(overflow.length(), overflow, 8), "overflows");
        String overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertBad(raw(overlap.length(), overlap, 12), "overlap");
        String meta = "{\"__metadata__\":{\"k\":1}}";
        assertBad(raw(meta.length(), meta, 0), "not a string");
        String dup = "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertBad(raw(dup.length(), dup, 8), "not valid JSON");
    }

    @Test
    void filesLargerThanTwoGibAreReadByMappingEachTensor() throws IOException {
        Path f = dir.resolve("big.safetensors");
        long offset = (1L << 31) + 1024; // beyond the 2 GiB mark; the file is sparse, so this costs no disk
        String header = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[" + offset + "],\"data_offsets\":[0," + offset + "]},"
                + "\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + offset + "," + (offset + 8) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(h.length).put(h);
            r.write(b.array());
            long dataStart = 8 + h.length;
            r.setLength(dataStart + offset + 8);
            r.seek(dataStart + offset);
            ByteBuffer v = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(3.5f).putFloat(-1f);
            r.write(v.array());
        }
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertArrayEquals(new float[] {3.5f, -1f}, s.readFloats("t"));
        }
    }

    @Test
    void failedWriteKeepsThePreviousFile() throws IOException {
        Path f = dir.resolve("keep.safetensors");
        new SafetensorsWriter().addFloats("a", new long[] {1}, new float[] {1}).write(f);
        byte[] before = Files.readAllBytes(f);
        SafetensorsWriter w = new SafetensorsWriter().add("a", DType.F32, new long[] {1}, 4, ch -> {
            throw new IOException("disk on fire");
        });
        assertThrows(GraftException.class, () -> w.write(f));
        assertArrayEquals(before, Files.readAllBytes(f));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temp file left behind");
        }
    }

    @Test
    void mappedRangesDecodeBlockByBlockLikeAWholeRead() throws IOException {
        Path f = dir.resolve("r.safetensors");
        float[] vals = new float[1000];
        for (int i = 0; i < vals.length; i++) {
            vals[i] = (i - 500) * 0.37f;
        }
        vals[3] = Float.NaN;
        vals[4] = Float.NEGATIVE_INFINITY;
        vals[5] = -0f;
        new SafetensorsWriter().addFloats("f32", new long[] {1000}, vals).addFloats("f16", new long[] {1000}, vals, DType.F16)
                .addFloats("bf16", new long[] {1000}, vals, DType.BF16).addLongs("i64", new long[] {1}, new long[] {1}).write(f);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            for (String name : List.of("f32", "f16", "bf16")) {
                float[] whole = s.readFloats(name);
                try (FloatRange r = s.mapFloats(name, 100, 800)) {
                    assertEquals(800, r.size());
                    float[] block = new float[300];
                    for (int off = 0; off < 800; off += 300) {
                        int n = Math.min(300, 800 - off);
                        r.read(off, block, n);
                        for (int j = 0; j < n; j++) {
                            assertEquals(Float.floatToIntBits(whole[100 + off + j]), Float.floatToIntBits(block[j]), name + " " + (off + j));
                        }
                    }
                    assertThrows(GraftException.class, () -> r.read(700, block, 200)); // past the mapped range
                }
                float[] part = new float[10];
                s.readFloats(name, 990, part, 10);
                assertArrayEquals(java.util.Arrays.copyOfRange(whole, 990, 1000), part, 0f);
                assertThrows(GraftException.class, () -> s.mapFloats(name, 995, 10));
            }
            assertThrows(GraftException.class, () -> s.mapFloats("i64", 0, 1));
        }
    }
}
