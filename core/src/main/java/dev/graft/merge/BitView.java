package dev.graft.merge;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.DoubleBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;

/**
 * Converts blocks of floats to their IEEE bit patterns and back in bulk, through one byte buffer. HotSpot's C2 in
 * JDK 17 does not vectorise a loop that calls {@code Float.floatToRawIntBits} or {@code Float.intBitsToFloat} (nor
 * one that mixes element sizes), so a kernel that masks float bits runs scalar, at several times the cost of the
 * same loop over an int[]; two bulk copies are cheaper, and leave every loop over a single type. One per thread.
 */
final class BitView {
    private final IntBuffer ints;
    private final FloatBuffer floats;
    private final LongBuffer longs;
    private final DoubleBuffer doubles;

    /** @param capacity the most elements one call converts */
    BitView(int capacity) {
        ByteBuffer b = ByteBuffer.allocate(capacity * Double.BYTES).order(ByteOrder.nativeOrder());
        ints = b.asIntBuffer();
        floats = b.asFloatBuffer();
        longs = b.asLongBuffer();
        doubles = b.asDoubleBuffer();
    }

    /** bits[j] = the raw bit pattern of x[j], for j in [0, n). */
    void toBits(float[] x, int[] bits, int n) {
        floats.put(0, x, 0, n);
        ints.get(0, bits, 0, n);
    }

    /** x[j] = the float with bit pattern bits[j], for j in [0, n). */
    void toFloats(int[] bits, float[] x, int n) {
        ints.put(0, bits, 0, n);
        floats.get(0, x, 0, n);
    }

    /** bits[j] = the raw bit pattern of x[j], for j in [0, n). */
    void toBits(double[] x, long[] bits, int n) {
        doubles.put(0, x, 0, n);
        longs.get(0, bits, 0, n);
    }

    /** x[j] = the double with bit pattern bits[j], for j in [0, n). */
    void toDoubles(long[] bits, double[] x, int n) {
        longs.put(0, bits, 0, n);
        doubles.get(0, x, 0, n);
    }
}
