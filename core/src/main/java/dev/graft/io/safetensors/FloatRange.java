package dev.graft.io.safetensors;

import dev.graft.GraftException;
import dev.graft.io.FloatFormats;
import java.nio.ByteBuffer;
import java.nio.ShortBuffer;

/**
 * A memory-mapped run of consecutive elements of one float tensor (F32, F16, BF16, F64), decoded to float32 piece by
 * piece, so a streaming reader can convert a cache-sized block, use it while it is still in cache, and move on.
 * {@link #close()} unmaps the bytes at once. One range is read by one thread at a time.
 */
public final class FloatRange implements AutoCloseable {
    /** Per-thread scratch for the raw 16-bit values: one bulk copy out of the mapping, then a plain loop. */
    private static final ThreadLocal<short[]> SCRATCH = ThreadLocal.withInitial(() -> new short[0]);

    private final ByteBuffer bytes;
    private final ShortBuffer shorts;
    private final DType dtype;
    private final int count;
    private final String what;

    FloatRange(ByteBuffer bytes, DType dtype, int count, String what) {
        this.bytes = bytes;
        this.dtype = dtype;
        this.count = count;
        this.what = what;
        this.shorts = dtype.size() == 2 ? bytes.asShortBuffer() : null;
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16 && dtype != DType.F64) {
            throw new GraftException(what + " is " + dtype + ", not a float type");
        }
    }

    /** Elements in the range. */
    public int size() {
        return count;
    }

    /** Decodes elements [offset, offset + n) of the range into {@code into[0..n)}. */
    public void read(int offset, float[] into, int n) {
        if (offset < 0 || n < 0 || offset + n > count || n > into.length) {
            throw new GraftException(what + ": elements [" + offset + ", " + (offset + n) + ") are outside the mapped " + count);
        }
        switch (dtype) {
            case F32 -> bytes.asFloatBuffer().get(offset, into, 0, n);
            case BF16 -> {
                short[] h = scratch(n);
                shorts.get(offset, h, 0, n);
                for (int i = 0; i < n; i++) {
                    into[i] = Float.intBitsToFloat(h[i] << 16); // the short's sign extension shifts out
                }
            }
            case F16 -> {
                short[] h = scratch(n);
                shorts.get(offset, h, 0, n);
                for (int i = 0; i < n; i++) {
                    into[i] = FloatFormats.halfToFloat(h[i]);
                }
            }
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    into[i] = (float) bytes.getDouble((offset + i) * 8);
                }
            }
            default -> throw new IllegalStateException(dtype.toString());
        }
    }

    private static short[] scratch(int n) {
        short[] h = SCRATCH.get();
        if (h.length < n) {
            h = new short[n];
            SCRATCH.set(h);
        }
        return h;
    }

    /** Unmaps the bytes now (the range must not be read afterwards). */
    @Override
    public void close() {
        SafetensorsFile.unmap(bytes);
    }
}
