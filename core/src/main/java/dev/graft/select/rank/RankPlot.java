package dev.graft.select.rank;

import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * A bar chart of a ranking: one group per estimator, one bar per model, each estimator's scores scaled to [0, 1]
 * across the models (estimators live on different scales; the ranking is what matters). With validation, a last
 * group shows the fine-tuned accuracies scaled the same way, so agreement is visible at a glance.
 */
public final class RankPlot {
    private RankPlot() {
    }

    /**
     * @param accuracy model → fine-tuned accuracy, or null without validation
     */
    public static void write(RankReport report, Map<String, Double> accuracy, String title, Path png) {
        List<RankReport.Candidate> models = report.candidates().stream().filter(c -> c.layer() < 0).toList();
        List<String> groups = new ArrayList<>(report.metrics());
        if (accuracy != null) {
            groups.add("fine-tuned");
        }
        CategoryChart chart = new CategoryChartBuilder().width(Math.min(1400, Math.max(800, 20 * groups.size() * models.size())))
                .height(560).title(title).xAxisTitle("estimator").yAxisTitle("score scaled to [0, 1] across models").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        chart.getStyler().setXAxisLabelRotation(30);
        for (RankReport.Candidate c : models) {
            List<Double> ys = new ArrayList<>();
            for (String metric : report.metrics()) {
                Double v = c.scores().get(metric);
                ys.add(v == null ? 0.0 : scaled(models.stream().filter(m -> m.scores().containsKey(metric))
                        .mapToDouble(m -> m.scores().get(metric)).toArray(), v));
            }
            if (accuracy != null) {
                Double a = accuracy.get(c.model());
                ys.add(a == null ? 0.0 : scaled(models.stream().filter(m -> accuracy.containsKey(m.model()))
                        .mapToDouble(m -> accuracy.get(m.model())).toArray(), a));
            }
            chart.addSeries(c.label(), groups, ys);
        }
        try {
            AtomicFiles.write(png, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new GraftException(png + ": cannot write the plot (" + e.getMessage() + ")", e);
        }
    }

    /** Min-max scaling; a metric on which all models tie shows every bar at 1. */
    private static double scaled(double[] all, double v) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double a : all) {
            lo = Math.min(lo, a);
            hi = Math.max(hi, a);
        }
        return hi - lo < 1e-300 ? 1.0 : 0.05 + 0.95 * (v - lo) / (hi - lo);
    }
}
