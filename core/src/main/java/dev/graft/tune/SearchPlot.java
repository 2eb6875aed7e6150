package dev.graft.tune;

import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Draws a {@link Search}: each trial's selection score against its learning rate (log axis), one series per budget. */
final class SearchPlot {
    private SearchPlot() {
    }

    static void write(Path png, Search.Result result) {
        System.setProperty("java.awt.headless", "true");
        Map<String, List<Search.Trial>> byBudget = new LinkedHashMap<>();
        for (Search.Trial t : result.trials()) {
            if (t.score() != null) {
                byBudget.computeIfAbsent(t.budget(), b -> new ArrayList<>()).add(t);
            }
        }
        if (byBudget.isEmpty()) {
            return;
        }
        XYChart chart = new XYChartBuilder().width(800).height(450).title("Search: " + result.metric() + " on the selection data")
                .xAxisTitle("learning rate").yAxisTitle(result.metric()).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendVisible(true);
        byBudget.forEach((budget, trials) -> {
            List<Search.Trial> sorted = trials.stream().sorted((a, b) -> Double.compare(a.learningRate(), b.learningRate())).toList();
            XYSeries s = chart.addSeries("budget " + budget, sorted.stream().map(Search.Trial::learningRate).toList(),
                    sorted.stream().map(Search.Trial::score).toList());
            s.setMarker(SeriesMarkers.CIRCLE);
        });
        Search.Trial best = result.trials().get(result.best());
        XYSeries b = chart.addSeries("chosen", List.of(best.learningRate()), List.of(best.score()));
        b.setMarker(SeriesMarkers.DIAMOND);
        b.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        try {
            AtomicFiles.write(png, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new GraftException(png + ": cannot write the plot (" + e.getMessage() + ")", e);
        }
    }
}
