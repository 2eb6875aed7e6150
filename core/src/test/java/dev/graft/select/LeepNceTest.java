package dev.graft.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LeepNceTest {

    @Test
    void leepMatchesItsDefinitionOnAHandExample() {
        double[][] theta = {{0.9, 0.1}, {0.8, 0.2}, {0.3, 0.7}, {0.1, 0.9}};
        int[] y = {0, 0, 1, 1};
        // P̂(y, z) = Σ_{i: yi = y} θiz / n; P̂(y|z) = P̂(y, z) / P̂(z)
        double[][] joint = {{(0.9 + 0.8) / 4, (0.1 + 0.2) / 4}, {(0.3 + 0.1) / 4, (0.7 + 0.9) / 4}};
        double[] pz = {joint[0][0] + joint[1][0], joint[0][1] + joint[1][1]};
        double expected = 0;
        for (int i = 0; i < 4; i++) {
            double p = 0;
            for (int z = 0; z < 2; z++) {
                p += joint[y[i]][z] / pz[z] * theta[i][z];
            }
            expected += Math.log(p) / 4;
        }
        assertEquals(expected, Leep.score(theta, y, 2), 1e-14);
    }

    @Test
    void leepPrefersInformativeSourcePredictions() {
        Random r = new Random(51);
        int n = 400;
        int[] y = new int[n];
        double[][] good = new double[n][3];
        double[][] noise = new double[n][3];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            good[i] = y[i] == 0 ? new double[] {0.8, 0.1, 0.1} : new double[] {0.1, 0.1, 0.8};
            double a = r.nextDouble();
            double b = r.nextDouble() * (1 - a);
            noise[i] = new double[] {a, b, 1 - a - b};
        }
        assertTrue(Leep.score(good, y, 2) > Leep.score(noise, y, 2));
        assertTrue(Leep.score(good, y, 2) <= 0);
    }

    @Test
    void nceIsZeroForADeterministicMappingAndMinusEntropyForIndependence() {
        int[] z = {0, 0, 1, 1, 2, 2};
        int[] y = {1, 1, 0, 0, 1, 1};
        assertEquals(0, Nce.score(z, y, 2), 1e-15);
        int[] zi = {0, 1, 0, 1};
        int[] yi = {0, 0, 1, 1};
        assertEquals(-Math.log(2), Nce.score(zi, yi, 2), 1e-15);
        // a hand-computed mixed case: P(y,z) = {1/4 at (0,0), 1/4 at (1,0), 1/2 at (1,1)}
        int[] zm = {0, 0, 1, 1};
        int[] ym = {0, 1, 1, 1};
        assertEquals(0.25 * Math.log(0.5) + 0.25 * Math.log(0.5), Nce.score(zm, ym, 2), 1e-15);
    }

    @Test
    void badInputsGiveClearErrors() {
        double[][] theta = {{0.5, 0.5}, {0.2, 0.9}};
        assertTrue(assertThrows(GraftException.class, () -> Leep.score(theta, new int[] {0, 1}, 2))
                .getMessage().contains("row 1 sums to"));
        double[][] nan = {{0.5, 0.5}, {Double.NaN, 1}};
        assertTrue(assertThrows(GraftException.class, () -> Leep.score(nan, new int[] {0, 1}, 2))
                .getMessage().contains("NaN"));
        double[][] ok = {{0.5, 0.5}, {0.5, 0.5}};
        assertTrue(assertThrows(GraftException.class, () -> Leep.score(ok, new int[] {1, 1}, 2))
                .getMessage().contains("only 1 class"));
        assertTrue(assertThrows(GraftException.class, () -> Nce.score(new int[] {0, -1}, new int[] {0, 1}, 2))
                .getMessage().contains("sourceLabels[1]"));
        assertTrue(assertThrows(GraftException.class, () -> Nce.score(new int[] {0, 1, 1}, new int[] {0, 1}, 2))
                .getMessage().contains("expected 3 labels"));
    }
}
