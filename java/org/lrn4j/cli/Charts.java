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

    /** A classifier's error rate (1 − accuracy): running on training batches and per epoch on validation. */
    static void errorCurve(Path png, String title, List<double[]> trainRunning, List<double[]> validEpochs)
            throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle("epoch")
                .yAxisTitle("error rate (1 - accuracy)").build();
        chart.getStyler().setMarkerSize(6);
        add(chart, "train (running)", trainRunning, false);
        add(chart, "validation", validEpochs, true);
        Files.createDirectories(png.toAbsolutePath().getParent());
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** A heat map of values[row][column] with text labels on both axes (rows bottom to top). */
    static void heatMap(Path png, String title, String xTitle, String yTitle, List<String> columns, List<String> rows,
                        double[][] values) throws IOException {
        org.knowm.xchart.HeatMapChart chart = new org.knowm.xchart.HeatMapChartBuilder()
                .width(Math.max(500, 60 * columns.size() + 200)).height(Math.max(400, 36 * rows.size() + 160))
                .title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setShowValue(columns.size() <= 20);
        chart.getStyler().setHeatMapValueDecimalPattern("0.00");
        chart.getStyler().setXAxisLabelRotation(60);
        List<Number[]> heat = new java.util.ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < columns.size(); c++) {
                heat.add(new Number[] {c, r, values[r][c]});
            }
        }
        List<String> xs = new java.util.ArrayList<>();
        for (int c = 0; c < columns.size(); c++) {
            xs.add(c + ":" + columns.get(c));  // positions keep repeated words apart
        }
        List<String> ys = new java.util.ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            ys.add(r + ":" + rows.get(r));
        }
        chart.addSeries("weights", xs, ys, heat);
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
