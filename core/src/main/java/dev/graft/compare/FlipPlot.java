package dev.graft.compare;

import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import dev.graft.train.Flips;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Draws the flips of a model update per gold class as a grouped bar chart (PNG): for each class, the negative flips
 * (old right, new wrong) beside the positive flips (old wrong, new right).
 */
public final class FlipPlot {
    /** At most this many classes are drawn (those with the most flips), so that the labels stay readable. */
    public static final int MAX_CLASSES = 40;

    private FlipPlot() {
    }

    /**
     * Writes the chart to {@code png} atomically.
     *
     * @param title the chart's title, e.g. "old-adapter → new-adapter"
     */
    public static void write(Path png, Flips flips, String title) {
        System.setProperty("java.awt.headless", "true");
        int[] neg = flips.negativeByClass();
        int[] pos = flips.positiveByClass();
        List<Integer> shown = new ArrayList<>();
        for (int c = 0; c < neg.length; c++) {
            shown.add(c);
        }
        if (shown.size() > MAX_CLASSES) {
            shown.sort(Comparator.comparingInt((Integer c) -> -(neg[c] + pos[c])).thenComparingInt(c -> c));
            shown = new ArrayList<>(shown.subList(0, MAX_CLASSES));
            shown.sort(null);
        }
        List<String> names = shown.stream().map(c -> flips.classes().get(c)).toList();
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(800, 40 * names.size())).height(450)
                .title("Flips per class: " + title + String.format(java.util.Locale.ROOT, " (NFR %.2f%%, PFR %.2f%%)",
                        100 * flips.negativeFlipRate(), 100 * flips.positiveFlipRate()))
                .xAxisTitle(shown.size() < neg.length ? "gold class (the " + shown.size() + " with most flips)" : "gold class")
                .yAxisTitle("examples").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendVisible(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setOverlapped(false);
        chart.getStyler().setSeriesColors(new Color[] {new Color(0xC0392B), new Color(0x2E86C1)});
        if (names.size() > 8) {
            chart.getStyler().setXAxisLabelRotation(45);
        }
        chart.addSeries("negative flips (old right, new wrong)", names, shown.stream().map(c -> (Number) neg[c]).toList());
        chart.addSeries("positive flips (old wrong, new right)", names, shown.stream().map(c -> (Number) pos[c]).toList());
        try {
            AtomicFiles.write(png, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new GraftException(png + ": cannot write the plot (" + e.getMessage() + ")", e);
        }
    }
}
