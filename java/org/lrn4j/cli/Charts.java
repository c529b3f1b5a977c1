package org.lrn4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG charts of the command (XChart, headless). */
final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    /**
     * A learning curve: training perplexity per update (running) and per epoch, validation perplexity per
     * epoch, against epochs, on a log scale.
     */
    static void learningCurve(Path png, String title, List<double[]> trainRunning, List<double[]> trainEpochs,
                              List<double[]> validEpochs) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle("epoch")
                .yAxisTitle("perplexity").build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setMarkerSize(6);
        add(chart, "train (running)", trainRunning, false);
        add(chart, "train (epoch)", trainEpochs, true);
        add(chart, "validation", validEpochs, true);
        Files.createDirectories(png.toAbsolutePath().getParent());
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void add(XYChart chart, String name, List<double[]> points, boolean markers) {
        if (points.isEmpty()) {
            return;
        }
        double[] x = new double[points.size()];
        double[] y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = points.get(i)[0];
            y[i] = points.get(i)[1];
        }
        XYSeries s = chart.addSeries(name, x, y);
        s.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }
}
