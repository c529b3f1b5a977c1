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
import org.lrn4j.lmu.MemoryMode;
import org.lrn4j.lmu.ParallelLmu;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lrn4j bench lmu}: the LMU's training step (forward and backward, same batch, same backend), each row
 * beside its floor in the performance model: the GEMM FLOPs of the step ({@link LmuFloors}) at the GEMM peak,
 * plus, for the parallel layer's full-sequence modes, the memory tensor's traffic at the copy bandwidth. Peak
 * and bandwidth are measured first in the same run (the backend's own GEMM on a 2048×1024×1024 product, a
 * 256 MiB copy) unless {@code --peak-gflops} / {@code --bandwidth-gbs} give them.
 *
 * <p>Part 1, per size: the original LMU cell ({@link LmuCell}), which walks its T steps one after another
 * (with its time per step and the GEMM rate it reaches), then the parallel layer ({@link ParallelLmu}) with the
 * same sizes: the classification form (final step only, {@link MemoryMode#LAST_STEP}) and the full-sequence
 * forms ({@link MemoryMode#BLOCKED}, {@link MemoryMode#FFT}), each with its speed-up over the original.
 * Part 2, per memory shape: the three memory modes of the parallel layer side by side, what AUTO picks for a
 * full sequence and whether the mode it picks is the faster one measured.
 */
@Command(name = "lmu", mixinStandardHelpOptions = true,
        description = "Time the LMU's training step (forward + backward) against its GEMM floor.")
final class LmuBenchCommand implements Callable<Integer> {
    /** Keys the table shows in columns; the others go to its notes. */
    private static final List<String> COLUMNS = List.of("name", "backend", "backend_description", "shape", "ms",
            "mode", "floor_ms", "x_floor", "x_original");

    @Option(names = "--backend", description = "java, native or cuda (default: the best that loads).")
    String backendName;

    @Option(names = "--steps", defaultValue = "784",
            description = "Sequence length T (default: ${DEFAULT-VALUE}, psMNIST).")
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

    @Option(names = "--modes", split = ",", defaultValue = "LAST_STEP,BLOCKED",
            description = "Part 1 modes of the parallel layer: LAST_STEP (final step), BLOCKED, FFT (all steps) "
                    + "(default: ${DEFAULT-VALUE}; FFT is the slow one here, part 2 times it).")
    List<MemoryMode> modes;

    @Option(names = "--memory-shape", split = ",", defaultValue = "784x32x1x256,1000x32x4x64,100x32x1x256,4000x8x1x32",
            description = "Part 2 shapes TxBxQxD (steps, batch, memory channels, order) (default: ${DEFAULT-VALUE}).")
    List<String> memoryShapes;

    @Option(names = "--memory-hidden", defaultValue = "64",
            description = "Hidden size of the part 2 layers (default: ${DEFAULT-VALUE}).")
    int memoryHidden;

    @Option(names = "--parts", split = ",", defaultValue = "1,2",
            description = "Parts to run (default: ${DEFAULT-VALUE}).")
    List<Integer> parts;

    @Option(names = "--repetitions", defaultValue = "5",
            description = "Timed blocks of the parallel layer at most (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--original-repetitions", defaultValue = "3",
            description = "Timed runs of the original cell at most (it is slow; default: ${DEFAULT-VALUE}).")
    int originalRepetitions;

    @Option(names = "--max-seconds", defaultValue = "8",
            description = "Timing per case at most (default: ${DEFAULT-VALUE}).")
    double maxSeconds;

    @Option(names = "--peak-gflops", defaultValue = "0",
            description = "GEMM peak for the floors; 0 (default) measures the backend's GEMM on 2048x1024x1024.")
    double peakGflops;

    @Option(names = "--bandwidth-gbs", defaultValue = "0",
            description = "Copy bandwidth (read + write) for the floors; 0 (default) measures a 256 MiB copy.")
    double bandwidthGbs;

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

    /** A part 2 shape: steps, batch, memory channels, order. */
    private record MemoryShape(int steps, int batch, int channels, int order) {
        static MemoryShape parse(String s) {
            String[] p = s.trim().toLowerCase(Locale.ROOT).split("x");
            if (p.length != 4) {
                throw new IllegalArgumentException("memory shape must be TxBxQxD, got '" + s + "'");
            }
            int[] v = Arrays.stream(p).mapToInt(Integer::parseInt).toArray();
            for (int x : v) {
                if (x < 1) {
                    throw new IllegalArgumentException("memory shape dimensions must be >= 1, got '" + s + "'");
                }
            }
            return new MemoryShape(v[0], v[1], v[2], v[3]);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "T%d B%d q%d d%d", steps, batch, channels, order);
        }
    }

    @Override
    public Integer call() {
        if (steps < 1 || batch < 1 || input < 1 || channels < 1 || originalRepetitions < 1 || repetitions < 1
                || memoryHidden < 1 || !(maxSeconds > 0) || !(peakGflops >= 0) || !(bandwidthGbs >= 0)) {
            throw new IllegalArgumentException("--steps, --batch, --input, --memory-channels, --memory-hidden, "
                    + "--repetitions and --original-repetitions must be >= 1, --max-seconds positive, "
                    + "--peak-gflops and --bandwidth-gbs >= 0");
        }
        if (modes.contains(MemoryMode.AUTO)) {
            throw new IllegalArgumentException("--modes takes LAST_STEP, BLOCKED and FFT; part 2 shows AUTO's choice");
        }
        for (int part : parts) {
            if (part != 1 && part != 2) {
                throw new IllegalArgumentException("--parts takes 1 and 2, got " + part);
            }
        }
        List<Size> cases = new ArrayList<>();
        for (String s : sizes) {
            cases.add(Size.parse(s));
        }
        List<MemoryShape> memoryCases = new ArrayList<>();
        for (String s : memoryShapes) {
            memoryCases.add(MemoryShape.parse(s));
        }
        Backend backend = backendName == null ? Backends.get() : Backends.byName(backendName.toLowerCase(Locale.ROOT));
        if (!json) {
            System.out.println(backend.description());
            System.out.printf("%-26s %-9s %-28s %12s %10s %8s %10s  %s%n", "name", "mode", "shape", "ms", "floor ms",
                    "x floor", "x original", "notes");
        }
        double peak = peakGflops > 0 ? peakGflops : measurePeak(backend);
        double bandwidth = bandwidthGbs > 0 ? bandwidthGbs : measureBandwidth(backend);
        PerformanceModel model = new PerformanceModel(peak, bandwidth);
        if (parts.contains(1)) {
            for (Size size : cases) {
                double original = originalRow(backend, model, size);
                for (MemoryMode mode : modes) {
                    parallelRow(backend, model, steps, batch, channels, size.order, size.hidden, mode, original);
                }
            }
        }
        if (parts.contains(2)) {
            for (MemoryShape m : memoryCases) {
                memoryRows(backend, model, m);
            }
        }
        return 0;
    }

    /** Copy bandwidth of host memory (bytes read + written per second), GB/s, from a 256 MiB copy. */
    private double measureBandwidth(Backend backend) {
        long bytes = 256L << 20;
        int threads = Runtime.getRuntime().availableProcessors();
        double ms = CopyBandwidth.copyMs(bytes, threads, new Timing(5, maxSeconds, 0));
        double gbs = 2.0 * bytes / (ms * 1e6);
        Map<String, Object> row = row("copy_bandwidth", backend, "256MiB", ms);
        row.put("gbs", gbs);
        row.put("threads", threads);
        emit(row);
        return gbs;
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

    /**
     * The original cell's training step: forward over all T steps, backward through time, reused buffers.
     * Returns its median ms.
     */
    private double originalRow(Backend backend, PerformanceModel model, Size size) {
        try (LmuCell cell = LmuCell.builder().backend(backend).inputSize(input).hiddenSize(size.hidden)
                .memoryD(channels).order(size.order).theta(steps).seed(7).build();
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
                row.put("mode", "sequential");
                row.put("floor_ms", floor);
                row.put("x_floor", ms / floor);
                row.put("ms_per_time_step", ms / steps);
                row.put("gflops", flops / (ms * 1e6));
                row.put("peak_gflops", model.peakGflops());
                emit(row);
                return ms;
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

    /** The parallel layer's training step in one mode: median ms and its floor, with the model's parts. */
    private record Timed(double ms, double floorMs, double gemmFloorMs, double bytesFloorMs) {
    }

    /**
     * Times the parallel layer's training step in {@code mode}: forward and backward of the final step only for
     * LAST_STEP (the classification form), of all steps otherwise. Reused results and gradients.
     */
    private Timed timeParallel(Backend backend, PerformanceModel model, int t, int b, int q, int order, int hidden,
                               MemoryMode mode) {
        boolean finalOnly = mode == MemoryMode.LAST_STEP;
        try (ParallelLmu lmu = ParallelLmu.builder().backend(backend).inputSize(input).memoryD(q).order(order)
                .theta(t).hiddenSize(hidden).mode(mode).seed(7).build();
             Tensor x = random(backend, 11, t, b, input);
             Tensor dy = finalOnly ? random(backend, 13, b, hidden) : random(backend, 13, t, b, hidden)) {
            ParallelLmu.Result[] r = {null};
            ParallelLmu.Gradients[] g = {null};
            try {
                double ms = new Timing(repetitions, maxSeconds, 0).median(() -> {
                    r[0] = finalOnly ? lmu.forwardFinal(x, r[0]) : lmu.forward(x, r[0]);
                    g[0] = lmu.backward(r[0], dy, g[0]);
                    backend.synchronize();
                });
                long outRows = finalOnly ? b : (long) t * b;
                double dense = LmuFloors.parallelDenseFlops(t, b, input, hidden, q, order, outRows);
                double memory = switch (mode) {
                    case LAST_STEP -> LmuFloors.lastStepMemoryFlops(t, b, q, order);
                    case BLOCKED -> LmuFloors.blockedMemoryFlops(t, b, q, order, lmu.blockLength());
                    case FFT -> LmuFloors.fftMemoryFlops(t, b, q, order);
                    default -> throw new IllegalStateException("no floor for " + mode);
                };
                double gemmFloor = (dense + memory) / (model.peakGflops() * 1e6);
                double bytesFloor = finalOnly ? 0 : model.bytesMs(LmuFloors.memoryBytes(t, b, q, order));
                return new Timed(ms, gemmFloor + bytesFloor, gemmFloor, bytesFloor);
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

    /** A part 1 row: the parallel layer at the original's sizes, with its speed-up over the original. */
    private void parallelRow(Backend backend, PerformanceModel model, int t, int b, int q, int order, int hidden,
                             MemoryMode mode, double originalMs) {
        Timed p = timeParallel(backend, model, t, b, q, order, hidden, mode);
        String shape = String.format(Locale.ROOT, "T%d B%d D%d q%d d%d H%d", t, b, input, q, order, hidden);
        Map<String, Object> row = row("lmu.parallel.train_step", backend, shape, p.ms);
        row.put("mode", mode.name());
        row.put("form", mode == MemoryMode.LAST_STEP ? "final step" : "all steps");
        floors(row, p);
        row.put("x_original", originalMs / p.ms);
        emit(row);
    }

    /**
     * Part 2: one memory shape in the three modes (full sequence for BLOCKED and FFT, the final step for
     * LAST_STEP), and what AUTO picks for a full sequence against the faster of the two measured.
     */
    private void memoryRows(Backend backend, PerformanceModel model, MemoryShape m) {
        String shape = m + " D" + input + " H" + memoryHidden;
        Timed blocked = timeParallel(backend, model, m.steps, m.batch, m.channels, m.order, memoryHidden,
                MemoryMode.BLOCKED);
        Timed fft = timeParallel(backend, model, m.steps, m.batch, m.channels, m.order, memoryHidden, MemoryMode.FFT);
        Timed last = timeParallel(backend, model, m.steps, m.batch, m.channels, m.order, memoryHidden,
                MemoryMode.LAST_STEP);
        MemoryMode auto;
        double blockedModel;
        double fftModel;
        try (ParallelLmu lmu = ParallelLmu.builder().backend(backend).inputSize(input).memoryD(m.channels)
                .order(m.order).theta(m.steps).hiddenSize(memoryHidden).build()) {
            auto = lmu.chooseMode(m.steps, m.batch);
            blockedModel = lmu.blockedSeconds(m.steps, m.batch) * 1e3;
            fftModel = lmu.fftSeconds(m.steps, m.batch) * 1e3;
        }
        MemoryMode faster = blocked.ms <= fft.ms ? MemoryMode.BLOCKED : MemoryMode.FFT;
        for (MemoryMode mode : List.of(MemoryMode.BLOCKED, MemoryMode.FFT, MemoryMode.LAST_STEP)) {
            Timed p = mode == MemoryMode.BLOCKED ? blocked : mode == MemoryMode.FFT ? fft : last;
            Map<String, Object> row = row("lmu.memory_mode.train_step", backend, shape, p.ms);
            row.put("mode", mode.name());
            row.put("form", mode == MemoryMode.LAST_STEP ? "final step" : "all steps");
            floors(row, p);
            if (mode != MemoryMode.LAST_STEP) {
                row.put("auto_picks", auto.name());
                row.put("faster_measured", faster.name());
                row.put("auto_right", auto == faster);
                row.put("auto_model_forward_ms", mode == MemoryMode.BLOCKED ? blockedModel : fftModel);
            }
            emit(row);
        }
    }

    private static void floors(Map<String, Object> row, Timed p) {
        row.put("floor_ms", p.floorMs);
        row.put("x_floor", p.ms / p.floorMs);
        row.put("gemm_floor_ms", p.gemmFloorMs);
        row.put("bytes_floor_ms", p.bytesFloorMs);
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
        StringBuilder notes = new StringBuilder();
        for (Map.Entry<String, Object> e : row.entrySet()) {
            if (!COLUMNS.contains(e.getKey())) {
                Object v = e.getValue();
                notes.append(e.getKey()).append('=').append(v instanceof Double d
                        ? String.format(Locale.ROOT, "%.4g", d) : v).append(' ');
            }
        }
        System.out.printf(Locale.ROOT, "%-26s %-9s %-28s %12.3f %10s %8s %10s  %s%n", row.get("name"),
                row.getOrDefault("mode", ""), row.get("shape"), (double) row.get("ms"), number(row, "floor_ms", "%.3f"),
                number(row, "x_floor", "%.2f"), number(row, "x_original", "%.1f"), notes.toString().trim());
    }

    private static String number(Map<String, Object> row, String key, String format) {
        Object v = row.get(key);
        return v == null ? "" : String.format(Locale.ROOT, format, (double) v);
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
