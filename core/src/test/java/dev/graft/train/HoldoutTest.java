package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The implicit holdout: stratified, deterministic, disjoint, every example once, its size, and too-small data. */
class HoldoutTest {
    /** {@code counts[c]} examples of class c{@code c}, interleaved as a file would have them. */
    private static List<Example> classes(int... counts) {
        List<Example> out = new ArrayList<>();
        int[] left = counts.clone();
        for (int round = 0, added = 1; added > 0; round++) {
            added = 0;
            for (int c = 0; c < counts.length; c++) {
                if (left[c]-- > 0) {
                    out.add(new Example("text " + out.size(), null, "c" + c, "f:" + (out.size() + 2)));
                    added++;
                }
            }
        }
        return out;
    }

    private static int[] same(int classes, int each) {
        int[] counts = new int[classes];
        java.util.Arrays.fill(counts, each);
        return counts;
    }

    private static Map<String, Long> perClass(List<Example> examples) {
        return examples.stream().collect(Collectors.groupingBy(Example::label, Collectors.counting()));
    }

    @Test
    void stratifiedDeterministicDisjointAndComplete() {
        List<Example> data = classes(120, 60, 20);
        Holdout h = Holdout.split(data, Task.CLASSIFICATION, 42);
        assertTrue(h.stratified());
        assertNull(h.reason());
        assertEquals(Map.of("c0", 12L, "c1", 6L, "c2", 2L), perClass(h.heldOut()), "10% of each class");
        assertEquals(180, h.train().size());
        Set<String> seen = new HashSet<>();
        h.train().forEach(e -> assertTrue(seen.add(e.source())));
        h.heldOut().forEach(e -> assertTrue(seen.add(e.source()), "disjoint: " + e.source()));
        assertEquals(data.size(), seen.size(), "every example exactly once");
        Function<List<Example>, List<Integer>> positions = l -> l.stream().map(data::indexOf).toList();
        assertEquals(positions.apply(h.train()).stream().sorted().toList(), positions.apply(h.train()), "file order kept");

        assertEquals(h, Holdout.split(data, Task.CLASSIFICATION, 42), "the same seed, the same split");
        assertNotEquals(h.heldOut(), Holdout.split(data, Task.CLASSIFICATION, 43).heldOut(), "another seed, another slice");
    }

    @Test
    void rareClassesKeepOneOnEachSideAndLargeDataIsCapped() {
        Holdout rare = Holdout.split(classes(98, 2), Task.CLASSIFICATION, 1);
        assertEquals(1L, perClass(rare.heldOut()).get("c1"));
        assertEquals(1L, perClass(rare.train()).get("c1"));
        assertEquals(10, rare.heldOut().size());
        assertEquals(Holdout.MAX, Holdout.split(classes(15_000, 5_000), Task.CLASSIFICATION, 1).heldOut().size());
    }

    @Test
    void otherTasksAreARandomSlice() {
        List<Example> values = new ArrayList<>();
        for (int i = 0; i < 95; i++) {
            values.add(new Example("t" + i, null, Integer.toString(i % 7), "f:" + i));
        }
        Holdout h = Holdout.split(values, Task.REGRESSION, 3);
        assertFalse(h.stratified());
        assertEquals(10, h.heldOut().size(), "round(9.5)");
        assertEquals(85, h.train().size());
    }

    @Test
    void tooLittleDataHoldsNothingOutAndSaysWhy() {
        Holdout few = Holdout.split(classes(25, 24), Task.CLASSIFICATION, 1);
        assertTrue(few.isEmpty());
        assertEquals(49, few.train().size());
        assertEquals("fewer than 50 examples", few.reason());
        Holdout manyClasses = Holdout.split(classes(same(20, 5)), Task.CLASSIFICATION, 1);
        assertTrue(manyClasses.isEmpty(), "20 classes cannot each have one of 10 held-out examples");
        assertEquals(100, manyClasses.train().size());
        assertEquals("20 classes but a 10% slice of 10 examples: too few to hold out one of each", manyClasses.reason());
        assertFalse(Holdout.split(classes(same(10, 10)), Task.CLASSIFICATION, 1).isEmpty(), "10 classes fit in 10");
        Holdout single = Holdout.split(classes(60, 1), Task.CLASSIFICATION, 1);
        assertTrue(single.isEmpty());
        assertEquals("class 'c1' has fewer than 2 examples", single.reason());
    }
}
