package dev.graft.io.safetensors;

import java.util.Arrays;

/**
 * One tensor's header entry.
 *
 * @param name  tensor name
 * @param dtype element type
 * @param shape dimensions, outermost first ([] for a scalar)
 * @param begin start offset in the data section
 * @param end   end offset (exclusive) in the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    public long byteSize() {
        return end - begin;
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
