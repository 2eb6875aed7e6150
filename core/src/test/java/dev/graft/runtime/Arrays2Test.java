package dev.graft.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class Arrays2Test {
    @Test
    void assignCopiesValuesInPlace() {
        try (NDManager m = Engines.newManager()) {
            NDArray target = Arrays2.owned(m, new float[] {1, 2, 3, 4}, new Shape(2, 2));
            float[] values = {5, 6, 7, 8};
            Arrays2.assign(target, values);
            values[0] = 99; // the array must not share memory with the Java array
            assertArrayEquals(new float[] {5, 6, 7, 8}, target.toFloatArray());
            assertArrayEquals(new long[] {2, 2}, target.getShape().getShape());
        }
    }
}
