package dev.graft.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small separable tasks over the tiny model's vocabulary. */
public final class ToyTasks {
    private ToyTasks() {
    }

    /** "pos" texts use good/great/happy/love, "neg" texts bad/terrible/sad/hate, mixed with neutral words. */
    public static List<Example> sentiment(int n, long seed) {
        String[] pos = {"good", "great", "happy", "love"};
        String[] neg = {"bad", "terrible", "sad", "hate"};
        String[] neutral = {"the", "cat", "dog", "movie", "film", "is", "was", "very", "a", "java", "red", "blue"};
        Random r = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean positive = i % 2 == 0;
            StringBuilder sb = new StringBuilder();
            int len = 3 + r.nextInt(4);
            int cue = r.nextInt(len);
            for (int k = 0; k < len; k++) {
                String[] pool = k == cue ? (positive ? pos : neg) : neutral;
                sb.append(k == 0 ? "" : " ").append(pool[r.nextInt(pool.length)]);
            }
            out.add(new Example(sb.toString(), null, positive ? "pos" : "neg", "toy:" + (i + 1)));
        }
        return out;
    }

    /** "animal" texts name cat/dog, "colour" texts red/blue/green, among neutral words (no sentiment words). */
    public static List<Example> topic(int n, long seed) {
        return cued(n, seed, new String[] {"cat", "dog"}, new String[] {"red", "blue", "green"}, "animal", "colour",
                new String[] {"the", "a", "movie", "film", "is", "was", "very", "sat", "on", "mat", "and", "i"});
    }

    /** "java" texts name java, "python" texts python, among neutral words (no sentiment or topic words). */
    public static List<Example> language(int n, long seed) {
        return cued(n, seed, new String[] {"java"}, new String[] {"python"}, "java", "python",
                new String[] {"the", "a", "is", "was", "very", "sat", "on", "mat", "and", "i", "you", "or", "not"});
    }

    private static List<Example> cued(int n, long seed, String[] a, String[] b, String labelA, String labelB, String[] neutral) {
        Random r = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean first = i % 2 == 0;
            StringBuilder sb = new StringBuilder();
            int len = 3 + r.nextInt(4);
            int cue = r.nextInt(len);
            for (int k = 0; k < len; k++) {
                String[] pool = k == cue ? (first ? a : b) : neutral;
                sb.append(k == 0 ? "" : " ").append(pool[r.nextInt(pool.length)]);
            }
            out.add(new Example(sb.toString(), null, first ? labelA : labelB, "toy:" + (i + 1)));
        }
        return out;
    }
}
