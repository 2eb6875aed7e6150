package dev.graft.train;

import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import java.awt.Color;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Draws training loss and the selection metric against the update step as a PNG. */
public final class TrainingPlot {
    private TrainingPlot() {
    }

    /**
     * @param history evaluation records with "step", "loss" and optionally "eval" (metric name to value)
     * @param metric  the evaluation metric to draw on the second axis
     */
    public static void write(java.nio.file.Path png, List<Map<String, Object>> history, String metric) {
        if (history.isEmpty()) {
            return;
        }
        System.setProperty("java.awt.headless", "true");
        List<Double> steps = new ArrayList<>();
        List<Double> loss = new ArrayList<>();
        List<Double> evalSteps = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (Map<String, Object> h : history) {
            double step = ((Number) h.get("step")).doubleValue();
            if (h.get("loss") instanceof Number l) { // a model that starts trained records no loss at update 0
                steps.add(step);
                loss.add(l.doubleValue());
            }
            if (h.get("eval") instanceof Map<?, ?> m && m.get(metric) instanceof Number v) {
                evalSteps.add(step);
                values.add(v.doubleValue());
            }
        }
        XYChart chart = new XYChartBuilder().width(800).height(450).title("Training")
                .xAxisTitle("update").yAxisTitle("loss").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.setYAxisGroupTitle(1, metric);
        chart.getStyler().setLegendVisible(true);
        if (!loss.isEmpty()) {
            chart.addSeries("training loss", steps, loss).setMarker(SeriesMarkers.CIRCLE);
        }
        if (!values.isEmpty()) {
            XYSeries v = chart.addSeries("eval " + metric, evalSteps, values);
            v.setYAxisGroup(1);
            v.setMarker(SeriesMarkers.DIAMOND);
        }
        try {
            byte[] bytes = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
            AtomicFiles.write(png, bytes);
        } catch (IOException e) {
            throw new GraftException(png + ": cannot write the plot (" + e.getMessage() + ")", e);
        }
    }
}
