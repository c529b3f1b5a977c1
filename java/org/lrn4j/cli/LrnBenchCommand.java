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
import org.lrn4j.nn.Lrn;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lrn4j bench lrn}: one LRN layer (tanh, no layer norm), forward and forward+backward, median time
 * per backend and shape, beside the floor of the performance model (DESIGN.md):
 * GEMM time = 2·M·N·K / peak FLOP rate, scan time = bytes read and written / memory bandwidth.
 */
@Command(name = "lrn", mixinStandardHelpOptions = true,
        description = "Time the LRN layer forward and forward+backward on every available backend.")
final class LrnBenchCommand implements Callable<Integer> {
    @Option(names = "--backend", split = ",", description = "Backends to time (default: all that load here).")
    List<String> backends;

    @Option(names = "--shape", split = ",",
            description = "Shapes BxTxDxH (batch, steps, input, hidden); default: 32x128x256x256, 64x64x512x512, 1x512x256x256.")
    List<String> shapes;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--iterations", defaultValue = "15", description = "Timed runs at most (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--max-seconds", defaultValue = "10",
            description = "Stop timing a case after this long, keeping at least one run (default: ${DEFAULT-VALUE}).")
    double maxSeconds;

    @Option(names = "--peak-gflops", defaultValue = "190",
            description = "FP32 GEMM peak of this machine for the floor (default: ${DEFAULT-VALUE}, the 2-core AVX2 dev machine).")
    double peakGflops;

    @Option(names = "--bandwidth-gbs", defaultValue = "26",
            description = "Memory copy bandwidth (read + write) for the floor (default: ${DEFAULT-VALUE}).")
    double bandwidthGbs;

    @Option(names = "--json", description = "Print one JSON object per line instead of a table.")
    boolean json;

    private record Shape(int batch, int steps, int input, int hidden) {
        static Shape parse(String s) {
            String[] p = s.trim().toLowerCase(Locale.ROOT).split("x");
            if (p.length != 4) {
                throw new IllegalArgumentException("shape must be BxTxDxH, got '" + s + "'");
            }
            int[] v = Arrays.stream(p).mapToInt(Integer::parseInt).toArray();
            for (int x : v) {
                if (x < 1) {
                    throw new IllegalArgumentException("shape dimensions must be >= 1, got '" + s + "'");
                }
            }
            return new Shape(v[0], v[1], v[2], v[3]);
        }

        @Override
        public String toString() {
            return "B" + batch + " T" + steps + " D" + input + " H" + hidden;
        }
    }

    @Override
    public Integer call() {
        if (iterations < 1 || warmup < 0 || !(maxSeconds > 0) || !(peakGflops > 0) || !(bandwidthGbs > 0)) {
            throw new IllegalArgumentException("--iterations >= 1, --warmup >= 0, and positive --max-seconds, "
                    + "--peak-gflops, --bandwidth-gbs are required");
        }
        List<Shape> cases = new ArrayList<>();
        for (String s : shapes == null ? List.of("32x128x256x256", "64x64x512x512", "1x512x256x256") : shapes) {
            cases.add(Shape.parse(s));
        }
        List<Backend> targets = new ArrayList<>();
        if (backends == null) {
            for (Backends.Probe p : Backends.probeAll()) {
                if (p.available()) {
                    targets.add(Backends.byName(p.name()));
                } else if (!json) {
                    System.out.printf("skipping %s: %s%n", p.name(), p.detail());
                }
            }
        } else {
            for (String name : backends) {
                targets.add(Backends.byName(name.trim().toLowerCase(Locale.ROOT)));
            }
        }
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        if (!json) {
            System.out.printf("%-7s %-22s %12s %10s %7s %14s %10s %7s%n", "backend", "shape", "forward ms", "floor ms",
                    "x floor", "fwd+bwd ms", "floor ms", "x floor");
        }
        PerformanceModel model = new PerformanceModel(peakGflops, bandwidthGbs);
        for (Shape shape : cases) {
            double fwdFloor = model.lrnForwardMs(shape.batch, shape.steps, shape.input, shape.hidden);
            double trainFloor = model.lrnForwardBackwardMs(shape.batch, shape.steps, shape.input, shape.hidden);
            for (Backend backend : targets) {
                double[] ms = time(backend, shape);
                if (json) {
                    System.out.println(gson.toJson(row("lrn.forward", backend, shape, ms[0], fwdFloor)));
                    System.out.println(gson.toJson(row("lrn.forward_backward", backend, shape, ms[1], trainFloor)));
                } else {
                    System.out.printf("%-7s %-22s %12.3f %10.3f %7.2f %14.3f %10.3f %7.2f%n", backend.name(), shape,
                            ms[0], fwdFloor, ms[0] / fwdFloor, ms[1], trainFloor, ms[1] / trainFloor);
                }
            }
        }
        return 0;
    }

    private Map<String, Object> row(String name, Backend backend, Shape shape, double ms, double floor) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name", name);
        r.put("backend", backend.name());
        r.put("backend_description", backend.description());
        r.put("shape", shape.batch + "x" + shape.steps + "x" + shape.input + "x" + shape.hidden);
        r.put("ms", ms);
        r.put("floor_ms", floor);
        r.put("x_floor", ms / floor);
        return r;
    }

    /** Median forward and forward+backward milliseconds. */
    private double[] time(Backend backend, Shape s) {
        try (Lrn lrn = Lrn.builder().backend(backend).inputSize(s.input).hiddenSize(s.hidden).seed(7).build();
             Tensor x = randomTensor(backend, 11, s.steps, s.batch, s.input);
             Tensor dy = randomTensor(backend, 13, s.steps, s.batch, s.hidden)) {
            double fwd = median(backend, () -> {
                try (Lrn.Result r = lrn.forward(x, null, null)) {
                    backend.synchronize();
                }
            });
            double train = median(backend, () -> {
                try (Lrn.Result r = lrn.forward(x, null, null);
                     Lrn.Gradients g = lrn.backward(r, dy, null)) {
                    backend.synchronize();
                }
            });
            return new double[] {fwd, train};
        }
    }

    private double median(Backend backend, Runnable run) {
        long budget = System.nanoTime() + (long) (maxSeconds * 1e9);
        for (int i = 0; i < warmup && System.nanoTime() < budget; i++) {
            run.run();
        }
        budget = System.nanoTime() + (long) (maxSeconds * 1e9);
        List<Double> times = new ArrayList<>();
        do {
            long t0 = System.nanoTime();
            run.run();
            times.add((System.nanoTime() - t0) / 1e6);
        } while (times.size() < iterations && System.nanoTime() < budget);
        times.sort(null);
        int n = times.size();
        return n % 2 == 1 ? times.get(n / 2) : (times.get(n / 2 - 1) + times.get(n / 2)) / 2;
    }

    private static Tensor randomTensor(Backend backend, long seed, long... shape) {
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
