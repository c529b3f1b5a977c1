package org.lrn4j.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import org.lrn4j.lmu.LmuCell;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lrn4j bench lmu}: the training step (forward and backward, same batch, same backend) of the original
 * LMU cell, which walks its T steps one after another, beside its floor in the performance model: the GEMM
 * FLOPs of the step ({@link LmuFloors}) at the GEMM peak, measured first in the same run on the same backend
 * (the backend's own GEMM on a large square-ish product) unless {@code --peak-gflops} gives one. Each row
 * also reports the time per time step and the GEMM rate the cell reaches, so a reader can see whether a
 * slow step is the GEMMs themselves or the many small calls in a row.
 */
@Command(name = "lmu", mixinStandardHelpOptions = true,
        description = "Time the LMU's training step (forward + backward) against its GEMM floor.")
final class LmuBenchCommand implements Callable<Integer> {
    @Option(names = "--backend", description = "java, native or cuda (default: the best that loads).")
    String backendName;

    @Option(names = "--steps", defaultValue = "784", description = "Sequence length T (default: ${DEFAULT-VALUE}, psMNIST).")
    int steps;

    @Option(names = "--batch", defaultValue = "100", description = "Sequences B (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--input", defaultValue = "1", description = "Input size D (default: ${DEFAULT-VALUE}).")
    int input;

    @Option(names = "--memory-channels", defaultValue = "1",
            description = "Memory channels q (default: ${DEFAULT-VALUE}, as in the LMU paper).")
    int channels;

    @Option(names = "--size", split = ",", defaultValue = "256x212",
            description = "Sizes ORDERxHIDDEN to time (default: ${DEFAULT-VALUE}, the LMU paper's psMNIST model).")
    List<String> sizes;

    @Option(names = "--original-repetitions", defaultValue = "3",
            description = "Timed runs of the original cell at most (it is slow; default: ${DEFAULT-VALUE}).")
    int originalRepetitions;

    @Option(names = "--max-seconds", defaultValue = "20",
            description = "Timing per case at most (default: ${DEFAULT-VALUE}).")
    double maxSeconds;

    @Option(names = "--peak-gflops", defaultValue = "0",
            description = "GEMM peak for the floors; 0 (default) measures the backend's GEMM on 2048x1024x1024.")
    double peakGflops;

    @Option(names = "--json", description = "Print one JSON object per line instead of a table.")
    boolean json;

    private final Gson gson = new GsonBuilder().disableHtmlEscaping().create();

    private record Size(int order, int hidden) {
        static Size parse(String s) {
            String[] p = s.trim().toLowerCase(Locale.ROOT).split("x");
            if (p.length != 2) {
                throw new IllegalArgumentException("size must be ORDERxHIDDEN, got '" + s + "'");
            }
            int[] v = Arrays.stream(p).mapToInt(Integer::parseInt).toArray();
            if (v[0] < 1 || v[1] < 1) {
                throw new IllegalArgumentException("size dimensions must be >= 1, got '" + s + "'");
            }
            return new Size(v[0], v[1]);
        }
    }

    @Override
    public Integer call() {
        if (steps < 1 || batch < 1 || input < 1 || channels < 1 || originalRepetitions < 1 || !(maxSeconds > 0)
                || !(peakGflops >= 0)) {
            throw new IllegalArgumentException("--steps, --batch, --input, --memory-channels and "
                    + "--original-repetitions must be >= 1, --max-seconds positive, --peak-gflops >= 0");
        }
        List<Size> cases = new ArrayList<>();
        for (String s : sizes) {
            cases.add(Size.parse(s));
        }
        Backend backend = backendName == null ? Backends.get() : Backends.byName(backendName.toLowerCase(Locale.ROOT));
        if (!json) {
            System.out.println(backend.description());
        }
        if (!json) {
            System.out.printf("%-26s %-28s %12s %10s %8s %12s %10s%n", "name", "shape", "ms", "floor ms", "x floor",
                    "ms per step", "GFLOP/s");
        }
        PerformanceModel model = new PerformanceModel(peakGflops > 0 ? peakGflops : measurePeak(backend), 1);
        for (Size size : cases) {
            originalRow(backend, model, size);
        }
        return 0;
    }

    /** The backend's own GEMM rate on a large product (2048x1024x1024, forward form), GFLOP/s. */
    private double measurePeak(Backend backend) {
        int m = 2048;
        int n = 1024;
        int k = 1024;
        try (Tensor a = random(backend, 1, m, k); Tensor b = random(backend, 2, k, n);
             Tensor c = backend.allocate(DType.FLOAT32, m, n)) {
            double ms = new Timing(9, maxSeconds, 0).median(() -> {
                backend.gemm(false, false, m, n, k, a, 0, k, b, 0, n, null, false, c, 0, n);
                backend.synchronize();
            });
            double gflops = 2.0 * m * n * k / (ms * 1e6);
            Map<String, Object> row = row("sgemm_peak", backend, m + "x" + n + "x" + k, ms);
            row.put("gflops", gflops);
            emit(row);
            return gflops;
        }
    }

    /** The original cell's training step: forward over all T steps, backward through time, reused buffers. */
    private void originalRow(Backend backend, PerformanceModel model, Size size) {
        try (LmuCell cell = LmuCell.builder().backend(backend).inputSize(input).hiddenSize(size.hidden)
                .memoryChannels(channels).order(size.order).theta(steps).seed(7).build();
             Tensor x = random(backend, 11, steps, batch, input);
             Tensor dy = random(backend, 13, steps, batch, size.hidden)) {
            LmuCell.Result[] r = {null};
            LmuCell.Gradients[] g = {null};
            try {
                double ms = new Timing(originalRepetitions, maxSeconds, 0).median(() -> {
                    r[0] = cell.forward(x, null, null, r[0]);
                    g[0] = cell.backward(r[0], dy, null, null, g[0]);
                    backend.synchronize();
                });
                double flops = LmuFloors.originalTrainFlops(steps, batch, input, size.hidden, channels, size.order);
                double floor = flops / (model.peakGflops() * 1e6);
                Map<String, Object> row = row("lmu.original.train_step", backend, shape(size), ms);
                row.put("floor_ms", floor);
                row.put("x_floor", ms / floor);
                row.put("ms_per_time_step", ms / steps);
                row.put("gflops", flops / (ms * 1e6));
                row.put("peak_gflops", model.peakGflops());
                emit(row);
            } finally {
                if (g[0] != null) {
                    g[0].close();
                }
                if (r[0] != null) {
                    r[0].close();
                }
            }
        }
    }

    private String shape(Size size) {
        return String.format(Locale.ROOT, "T%d B%d D%d q%d d%d H%d", steps, batch, input, channels, size.order,
                size.hidden);
    }

    private static Map<String, Object> row(String name, Backend backend, String shape, double ms) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name", name);
        r.put("backend", backend.name());
        r.put("backend_description", backend.description());
        r.put("shape", shape);
        r.put("ms", ms);
        return r;
    }

    private void emit(Map<String, Object> row) {
        if (json) {
            System.out.println(gson.toJson(row));
            return;
        }
        Object floor = row.get("floor_ms");
        Object perStep = row.get("ms_per_time_step");
        Object rate = row.get("gflops");
        System.out.printf(Locale.ROOT, "%-26s %-28s %12.3f %10s %8s %12s %10s%n", row.get("name"), row.get("shape"),
                (double) row.get("ms"), floor == null ? "" : String.format(Locale.ROOT, "%.3f", (double) floor),
                floor == null ? "" : String.format(Locale.ROOT, "%.1f", (double) row.get("x_floor")),
                perStep == null ? "" : String.format(Locale.ROOT, "%.4f", (double) perStep),
                rate == null ? "" : String.format(Locale.ROOT, "%.1f", (double) rate));
    }

    private static Tensor random(Backend backend, long seed, long... shape) {
        SplittableRandom rng = new SplittableRandom(seed);
        try (Tensor host = Tensor.host(DType.FLOAT32, shape)) {
            double[] v = new double[(int) host.numel()];
            for (int i = 0; i < v.length; i++) {
                v[i] = rng.nextDouble() * 2 - 1;
            }
            host.write(0, v, 0, v.length);
            return backend.copyOf(host);
        }
    }
}
