package org.lrn4j.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

import org.bytedeco.javacpp.FloatPointer;
import org.lrn4j.backend.Activation;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import org.lrn4j.backend.NativeBackend;
import org.lrn4j.nn.Lrn;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.HostStorage;
import org.lrn4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lrn4j bench cpu}: the native CPU kernels against the limits of this machine and against peer
 * libraries, all measured in the same run. First the machine: memory copy bandwidth (memcpy) and, as the
 * measured GEMM peak, OpenBLAS's rate on the largest GEMM. Then the gate GEMM (forward with bias, and the
 * two backward forms) beside OpenBLAS, the LRN and oLRN scans beside the bandwidth floor, the LRN layer on
 * the native and Java backends and one streaming step, the native ones beside an LSTM of the same size: ONNX
 * Runtime's for the forward pass and the step, PyTorch's (through DJL) for forward and backward. Every
 * kernel's result is checked (GEMM against OpenBLAS, scan and layer against the Java backend, each LSTM
 * peer against {@link LstmReference}); a failed check makes the command fail. The LSTM peers are built
 * only by the Maven profile {@code peers}; without them the rows have no peer and a note says how to
 * fetch them.
 */
@Command(name = "cpu", mixinStandardHelpOptions = true,
        description = "Time the native CPU kernels against memory bandwidth, the GEMM peak, OpenBLAS and LSTM peers "
                + "(ONNX Runtime, PyTorch), in one run.")
final class CpuBenchCommand implements Callable<Integer> {
    private static final String CORETYPE = "OPENBLAS_CORETYPE";
    private static final double TOLERANCE = 1e-3;
    /** Keys the table shows in columns; any other key of a row goes to its notes. */
    private static final Set<String> COLUMNS =
            Set.of("name", "backend", "shape", "ms", "floor_ms", "x_floor", "peer_ms", "x_peer");

    @Option(names = "--json", description = "Print one JSON object per line instead of a table.")
    boolean json;

    @Option(names = "--openblas-core", defaultValue = "auto",
            description = "OpenBLAS kernel set to compare against: auto (the one OpenBLAS picks, or Haswell when it "
                    + "picks one older than AVX2) or a name OPENBLAS_CORETYPE takes, such as Haswell or SkylakeX. "
                    + "OpenBLAS reads it only when it loads, so the command runs itself again with it set "
                    + "(default: ${DEFAULT-VALUE}).")
    String openblasCore;

    @Option(names = "--repetitions", defaultValue = "9",
            description = "Timed blocks per case and side (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--max-seconds", defaultValue = "10",
            description = "Stop timing a case after this long, keeping at least one block (default: ${DEFAULT-VALUE}).")
    double maxSeconds;

    @Option(names = "--pause-ms", defaultValue = "200",
            description = "Sleep before each block of a lrn4j/peer pair, so that the other library's "
                    + "worker threads stop spinning (OpenBLAS's spin for about 0.1 s after a call; ONNX Runtime's "
                    + "and PyTorch's OpenMP threads spin too) "
                    + "(default: ${DEFAULT-VALUE}).")
    long pauseMs;

    @Option(names = "--peak-gflops", defaultValue = "0",
            description = "FP32 GEMM peak of the performance model for floor_ms; floor_measured_ms uses the "
                    + "OpenBLAS rate measured here (default: threads x 2 FMA units x the SIMD lanes of the native "
                    + "kernel set x 2 flops x the clock in /proc/cpuinfo; 294 on the 2-core AVX-512 dev machine "
                    + "at 2.3 GHz).")
    double peakGflops;

    @Option(names = "--no-lstm-peers", description = "Leave out the LSTM peers (ONNX Runtime, PyTorch).")
    boolean noLstmPeers;

    @Option(names = "--copy-mib", defaultValue = "256",
            description = "Size of the copy that measures memory bandwidth, MiB; keep it well above the "
                    + "last-level cache (default: ${DEFAULT-VALUE}).")
    int copyMib;

    @Spec
    CommandSpec spec;

    private final Gson gson = new GsonBuilder().disableHtmlEscaping().create();
    private int failedChecks;

    /** One GEMM call: C (m×n) = op(A)·op(B) [+ bias] [+ C], named after the layer shape M×K×N it belongs to. */
    private record GemmCase(String name, String shape, boolean transA, boolean transB, int m, int n, int k,
                            boolean bias, boolean accumulate) {
        /** G = X·W + b: X [M, K], W [K, N]. */
        static GemmCase forward(int m, int k, int n) {
            return new GemmCase("gemm.forward", m + "x" + k + "x" + n, false, false, m, n, k, true, false);
        }

        /** dX = dG·Wᵀ: dG [M, N], W [K, N]. */
        static GemmCase backwardInput(int m, int k, int n) {
            return new GemmCase("gemm.backward_dx", m + "x" + k + "x" + n, false, true, m, k, n, false, false);
        }

        /** dW += Xᵀ·dG: X [M, K], dG [M, N]. */
        static GemmCase backwardWeights(int m, int k, int n) {
            return new GemmCase("gemm.backward_dw", m + "x" + k + "x" + n, true, false, k, n, m, false, true);
        }

        double flops() {
            return 2.0 * m * n * k;
        }
    }

    /** Median milliseconds of lrn4j and of OpenBLAS (NaN without a peer), and the largest relative difference. */
    private record GemmResult(double ms, double peerMs, double maxRelDiff) {
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (!(peakGflops >= 0) || copyMib < 1) {
            throw new IllegalArgumentException("--peak-gflops must not be negative and --copy-mib must be positive");
        }
        Timing timing = new Timing(repetitions, maxSeconds, pauseMs);
        boolean auto = openblasCore.equalsIgnoreCase("auto");
        String coreEnv = System.getenv(CORETYPE);
        if (!auto && !openblasCore.equalsIgnoreCase(coreEnv)) {
            return relaunchWith(openblasCore);
        }
        NativeBackend nat = NativeBackend.load();
        OpenBlasPeer peer = null;
        try {
            peer = OpenBlasPeer.load(nat.threads());
        } catch (IllegalStateException e) {
            note("no OpenBLAS peer: " + e.getMessage());
        }
        if (peer != null && auto && coreEnv == null && peer.olderThanAvx2()) {
            note("OpenBLAS picked its " + peer.core() + " kernels, older than AVX2; running again with "
                    + CORETYPE + "=Haswell");
            return relaunchWith("Haswell");
        }
        if (peer != null && !auto && !peer.core().equalsIgnoreCase(openblasCore)) {
            note("OpenBLAS did not take " + CORETYPE + "=" + coreEnv + "; it runs " + peer.core());
        }
        if (peakGflops == 0) {
            peakGflops = modelPeakGflops(nat.threads(), nat.isaName());
        }
        note(String.format(Locale.ROOT, "performance model: GEMM peak %.0f GFLOP/s", peakGflops));
        note(String.format(Locale.ROOT, "lrn4j %s; OpenBLAS %s", nat.description(), peer == null ? "absent"
                : "core " + peer.core() + " (" + (coreEnv == null ? "detected" : CORETYPE + "=" + coreEnv) + "), "
                + peer.threads() + " threads"));
        try (LstmPeer ort = lstmPeer(LstmPeer.ONNX_RUNTIME, "ONNX Runtime", nat.threads());
             LstmPeer torch = lstmPeer(LstmPeer.DJL_PYTORCH, "PyTorch (DJL)", nat.threads())) {
            CheckedPeer forwardPeer = checkForward(ort);
            CheckedPeer stepPeer = checkStep(ort);
            CheckedPeer trainingPeer = checkTraining(torch);
            if (!json) {
                System.out.printf("%-20s %-7s %-15s %10s %10s %7s %10s %7s  %s%n", "name", "backend", "shape", "ms",
                        "floor ms", "x floor", "peer ms", "x peer", "notes");
            }

            double copyGbs = copyBandwidth(nat.threads(), timing);
            PerformanceModel model = new PerformanceModel(peakGflops, copyGbs);
            PerformanceModel measured = gemmRows(nat, peer, timing, model, copyGbs);
            scanRows(nat, timing, model);
            lrnRows(nat, timing, model, measured, forwardPeer, trainingPeer);
            streamingRow(nat, timing, model, measured, stepPeer);
        }
        if (failedChecks > 0) {
            System.err.printf("lrn4j: %d result check(s) failed (relative difference above %.0e)%n", failedChecks,
                    TOLERANCE);
            return 1;
        }
        return 0;
    }

    /**
     * The FP32 FMA peak of {@code threads} cores running the kernel set {@code isa}: two FMA units per core
     * (as on the Xeons this project is measured on), each doing one multiply-add per SIMD lane per cycle, at
     * the clock Linux reports for the first processor. Throws if the clock cannot be read: then
     * {@code --peak-gflops} must be given.
     */
    static double modelPeakGflops(int threads, String isa) throws IOException {
        int lanes = switch (isa) {
            case "avx512" -> 16;
            case "avx2" -> 8;
            default -> 1;
        };
        Path cpuinfo = Path.of("/proc/cpuinfo");
        double mhz = Files.exists(cpuinfo) ? cpuMhz(Files.readAllLines(cpuinfo)) : 0;
        if (!(mhz > 0)) {
            throw new IllegalStateException("cannot read the clock from /proc/cpuinfo; give --peak-gflops");
        }
        return threads * 2.0 * lanes * 2.0 * mhz / 1000.0;
    }

    /** The first "cpu MHz" of /proc/cpuinfo's lines, 0 when there is none. */
    static double cpuMhz(List<String> cpuinfo) {
        for (String line : cpuinfo) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals("cpu MHz")) {
                try {
                    return Double.parseDouble(line.substring(colon + 1).trim());
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }

    /** Runs this same command in a new JVM with OPENBLAS_CORETYPE set, which OpenBLAS reads only as it loads. */
    private int relaunchWith(String core) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("cannot find the java executable to set " + CORETYPE
                        + "; set it yourself: " + CORETYPE + "=" + core + " lrn4j bench cpu")));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(spec.root().commandLine().getParseResult().originalArgs());
        ProcessBuilder child = new ProcessBuilder(command).inheritIO();
        child.environment().put(CORETYPE, core);
        return child.start().waitFor();
    }

    // ---- 1. the machine --------------------------------------------------------------------------

    private double copyBandwidth(int threads, Timing timing) {
        long bytes = (long) copyMib << 20;
        double ms = CopyBandwidth.copyMs(bytes, threads, timing);
        double gbs = 2.0 * bytes / (ms * 1e6);
        Map<String, Object> row = row("copy_bandwidth", null, copyMib + "MiB", ms);
        row.put("gbs", gbs);
        row.put("threads", threads);
        emit(row);
        return gbs;
    }

    // ---- 2. gate GEMM ----------------------------------------------------------------------------

    /**
     * The GEMM rows. The largest shape goes first: OpenBLAS's rate on it is the measured peak, which the
     * other rows' floor_measured_ms use. Returns the model with that peak (the configured one without a peer).
     */
    private PerformanceModel gemmRows(NativeBackend nat, OpenBlasPeer peer, Timing timing, PerformanceModel model,
                                      double copyGbs) {
        GemmCase largest = GemmCase.forward(4096, 1024, 3072);
        GemmResult first = gemm(largest, nat, peer, timing);
        PerformanceModel measured = peer == null ? model
                : new PerformanceModel(largest.flops() / (first.peerMs * 1e6), copyGbs);
        emit(gemmRow(largest, first, peer, model, measured));
        if (peer != null) {
            Map<String, Object> row = row("sgemm_peak", null, largest.shape, first.peerMs);
            row.put("gflops", measured.peakGflops());
            row.put("model_gflops", peakGflops);
            row.put("source", "openblas " + peer.core());
            emit(row);
        }
        for (GemmCase c : List.of(GemmCase.forward(4096, 256, 768), GemmCase.backwardInput(4096, 256, 768),
                GemmCase.backwardWeights(4096, 256, 768), GemmCase.forward(32, 512, 1536),
                GemmCase.forward(1, 512, 1536))) {
            emit(gemmRow(c, gemm(c, nat, peer, timing), peer, model, measured));
        }
        return measured;
    }

    private Map<String, Object> gemmRow(GemmCase c, GemmResult r, OpenBlasPeer peer, PerformanceModel model,
                                        PerformanceModel measured) {
        Map<String, Object> row = row(c.name, "native", c.shape, r.ms);
        floors(row, r.ms, model.gemmMs(c.m, c.n, c.k), peer == null ? null : measured.gemmMs(c.m, c.n, c.k));
        row.put("gflops", c.flops() / (r.ms * 1e6));
        if (peer != null) {
            row.put("peer", "openblas");
            row.put("peer_core", peer.core());
            row.put("peer_ms", r.peerMs);
            row.put("x_peer", r.ms / r.peerMs);
            row.put("peer_gflops", c.flops() / (r.peerMs * 1e6));
            check(row, r.maxRelDiff);
        }
        return row;
    }

    /**
     * Times one GEMM case on lrn4j and OpenBLAS, interleaved, after checking that both compute the same
     * C. OpenBLAS has no bias epilogue: it is timed without the bias (its best case), and the bias is
     * added to its result only for the check.
     */
    private GemmResult gemm(GemmCase c, NativeBackend nat, OpenBlasPeer peer, Timing timing) {
        int aRows = c.transA ? c.k : c.m;
        int aCols = c.transA ? c.m : c.k;
        int bRows = c.transB ? c.n : c.k;
        int bCols = c.transB ? c.k : c.n;
        try (Tensor a = random(1, aRows, aCols);
             Tensor b = random(2, bRows, bCols);
             Tensor bias = c.bias ? random(3, c.n) : null;
             Tensor c0 = random(4, c.m, c.n);
             Tensor out = Tensor.host(DType.FLOAT32, c.m, c.n);
             Tensor peerOut = Tensor.host(DType.FLOAT32, c.m, c.n)) {
            Runnable mine = () -> nat.gemm(c.transA, c.transB, c.m, c.n, c.k, a, 0, aCols, b, 0, bCols, bias,
                    c.accumulate, out, 0, c.n);
            if (peer == null) {
                return new GemmResult(timing.median(mine), Double.NaN, Double.NaN);
            }
            FloatPointer pa = OpenBlasPeer.view(a);
            FloatPointer pb = OpenBlasPeer.view(b);
            FloatPointer pc = OpenBlasPeer.view(peerOut);
            Runnable theirs = () -> peer.sgemm(c.transA, c.transB, c.m, c.n, c.k, pa, aCols, pb, bCols, c.accumulate,
                    pc, c.n);
            out.copyFrom(c0);
            peerOut.copyFrom(c0);
            mine.run();
            theirs.run();
            double diff = maxRelDiff(out, peerOut, bias);
            double[] ms = timing.paired(mine, theirs);
            return new GemmResult(ms[0], ms[1], diff);
        }
    }

    // ---- 3. scan ---------------------------------------------------------------------------------

    /**
     * Forward and backward scans (tanh), LRN and oLRN, against the bandwidth floor, checked against the Java
     * backend.
     */
    private void scanRows(NativeBackend nat, Timing timing, PerformanceModel model) {
        Backend reference = Backends.byName("java");
        int[][] shapes = {{32, 128, 256}, {64, 1024, 512}};
        for (boolean gate : new boolean[] {false, true}) {
            for (int[] s : shapes) {
                int batch = s[0];
                int steps = s[1];
                int hidden = s[2];
                int width = (gate ? 4 : 3) * hidden;
                String shape = batch + "x" + steps + "x" + hidden;
                try (Tensor g = random(5, steps, batch, width);
                     Tensor dhs = random(6, steps, batch, hidden);
                     Tensor hs = Tensor.host(DType.FLOAT32, steps, batch, hidden);
                     Tensor cs = gate ? Tensor.host(DType.FLOAT32, steps, batch, hidden) : null;
                     Tensor dg = Tensor.host(DType.FLOAT32, steps, batch, width);
                     Tensor javaHs = Tensor.host(DType.FLOAT32, steps, batch, hidden);
                     Tensor javaCs = gate ? Tensor.host(DType.FLOAT32, steps, batch, hidden) : null;
                     Tensor javaDg = Tensor.host(DType.FLOAT32, steps, batch, width)) {
                    Runnable forward = () -> scanForward(nat, steps, batch, hidden, g, hs, cs);
                    Runnable backward = () -> scanBackward(nat, steps, batch, hidden, g, hs, cs, dhs, dg);
                    forward.run();
                    backward.run();
                    scanForward(reference, steps, batch, hidden, g, javaHs, javaCs);
                    scanBackward(reference, steps, batch, hidden, g, javaHs, javaCs, dhs, javaDg);
                    double forwardDiff = maxRelDiff(hs, javaHs, null);
                    double backwardDiff = maxRelDiff(dg, javaDg, null);
                    String name = gate ? "olrn_scan" : "scan";
                    scanRow(name + ".forward", shape, timing.median(forward), forwardDiff, model, gate
                            ? PerformanceModel.olrnScanForwardBytes(batch, steps, hidden)
                            : PerformanceModel.scanForwardBytes(batch, steps, hidden));
                    scanRow(name + ".backward", shape, timing.median(backward), backwardDiff, model, gate
                            ? PerformanceModel.olrnScanBackwardBytes(batch, steps, hidden)
                            : PerformanceModel.scanBackwardBytes(batch, steps, hidden));
                }
            }
        }
    }

    /** The LRN scan, or the oLRN scan when cs (its saved c) is given. */
    private static void scanForward(Backend backend, int steps, int batch, int hidden, Tensor g, Tensor hs, Tensor cs) {
        if (cs == null) {
            backend.lrnScanForward(steps, batch, hidden, g, 0, 3 * hidden, null, 0, null, Activation.TANH, false,
                    hs, 0, hidden, null, 0);
        } else {
            backend.olrnScanForward(steps, batch, hidden, g, 0, 4 * hidden, null, 0, null, Activation.TANH, false,
                    hs, 0, hidden, cs, 0, hidden, null, 0);
        }
    }

    private static void scanBackward(Backend backend, int steps, int batch, int hidden, Tensor g, Tensor hs,
                                     Tensor cs, Tensor dhs, Tensor dg) {
        if (cs == null) {
            backend.lrnScanBackward(steps, batch, hidden, g, 0, 3 * hidden, null, 0, null, Activation.TANH, false,
                    hs, 0, hidden, dhs, 0, hidden, null, 0, dg, 0, 3 * hidden, null, 0);
        } else {
            backend.olrnScanBackward(steps, batch, hidden, g, 0, 4 * hidden, null, 0, null, Activation.TANH, false,
                    hs, 0, hidden, cs, 0, hidden, dhs, 0, hidden, null, 0, dg, 0, 4 * hidden, null, 0);
        }
    }

    private void scanRow(String name, String shape, double ms, double diff, PerformanceModel model, double bytes) {
        Map<String, Object> row = row(name, "native", shape, ms);
        floors(row, ms, model.bytesMs(bytes), null);
        double gbs = bytes / (ms * 1e6);
        row.put("gbs", gbs);
        row.put("copy_fraction", gbs / model.bandwidthGbs());
        row.put("check_against", "java");
        check(row, diff);
        emit(row);
    }

    // ---- 4. LRN layer ----------------------------------------------------------------------------

    /**
     * The layer (tanh, no layer norm) on the native and Java backends; their outputs are compared first.
     * The native rows are timed in alternating blocks with the LSTM peers of the same size, when present:
     * the forward pass with {@code forwardPeer}, forward and backward with {@code trainingPeer}.
     */
    private void lrnRows(NativeBackend nat, Timing timing, PerformanceModel model, PerformanceModel measured,
                         CheckedPeer forwardPeer, CheckedPeer trainingPeer) {
        int batch = 32;
        int steps = 128;
        int input = 256;
        int hidden = 256;
        String shape = batch + "x" + steps + "x" + input + "x" + hidden;
        LstmWeights lstm = LstmWeights.random(23, input, hidden);
        try (Lrn nativeLrn = layer(nat, input, hidden);
             Lrn javaLrn = layer(Backends.byName("java"), input, hidden);
             Tensor x = random(11, steps, batch, input);
             Tensor dy = random(13, steps, batch, hidden);
             LstmPeer.Case peerForward = forwardPeer == null ? null
                     : forwardPeer.peer.forwardCase(lstm, x.toFloatArray(), steps, batch);
             LstmPeer.Case peerTraining = trainingPeer == null ? null
                     : trainingPeer.peer.trainingCase(lstm, x.toFloatArray(), dy.toFloatArray(), steps, batch)) {
            double diff;
            try (Lrn.Result mine = nativeLrn.forward(x, null, null);
                 Lrn.Result reference = javaLrn.forward(x, null, null)) {
                diff = maxRelDiff(mine.output(), reference.output(), null);
            }
            double forwardFloor = model.lrnForwardMs(batch, steps, input, hidden);
            double trainFloor = model.lrnForwardBackwardMs(batch, steps, input, hidden);
            for (Lrn lrn : List.of(nativeLrn, javaLrn)) {
                String backend = lrn.backend().name();
                boolean withPeers = lrn == nativeLrn;
                Runnable forwardCall = () -> {
                    try (Lrn.Result r = lrn.forward(x, null, null)) {
                        lrn.backend().synchronize();
                    }
                };
                double[] forward = timed(timing, forwardCall, withPeers ? peerForward : null);
                Map<String, Object> row = row("lrn.forward", backend, shape, forward[0]);
                floors(row, forward[0], forwardFloor, measured.lrnForwardMs(batch, steps, input, hidden));
                if (withPeers) {
                    row.put("check_against", "java");
                    check(row, diff);
                    peerColumns(row, forwardPeer, forward, model.lstmForwardMs(batch, steps, input, hidden));
                }
                emit(row);
                Runnable trainCall = () -> {
                    try (Lrn.Result r = lrn.forward(x, null, null);
                         Lrn.Gradients g = lrn.backward(r, dy, null)) {
                        lrn.backend().synchronize();
                    }
                };
                double[] train = timed(timing, trainCall, withPeers ? peerTraining : null);
                row = row("lrn.forward_backward", backend, shape, train[0]);
                floors(row, train[0], trainFloor, measured.lrnForwardBackwardMs(batch, steps, input, hidden));
                if (withPeers) {
                    peerColumns(row, trainingPeer, train, model.lstmForwardBackwardMs(batch, steps, input, hidden));
                }
                emit(row);
            }
        }
    }

    // ---- 5. streaming ----------------------------------------------------------------------------

    /**
     * One step of a single stream (batch 1, T = 1), the state of each step fed into the next; beside it,
     * when present, {@code stepPeer}'s LSTM step of the same size carrying its (h, c) the same way.
     */
    private void streamingRow(NativeBackend nat, Timing timing, PerformanceModel model, PerformanceModel measured,
                              CheckedPeer stepPeer) {
        int input = 512;
        int hidden = 512;
        LstmWeights lstm = LstmWeights.random(29, input, hidden);
        try (Lrn lrn = layer(nat, input, hidden);
             Tensor x = random(17, 1, 1, input);
             Tensor h0 = random(19, 1, 1, hidden);
             Tensor c0 = random(31, 1, 1, hidden);
             LstmPeer.Case peerStep = stepPeer == null ? null
                     : stepPeer.peer.streamingCase(lstm, x.toFloatArray(), 1, h0.toFloatArray(),
                     c0.toFloatArray())) {
            // The previous step's result owns the state this step reads, so it is closed one step later.
            Lrn.Result[] last = {null};
            double[] ms = timed(timing, () -> {
                Lrn.Result r = lrn.forward(x, null, last[0] == null ? h0 : last[0].finalState());
                if (last[0] != null) {
                    last[0].close();
                }
                last[0] = r;
            }, peerStep);
            last[0].close();
            Map<String, Object> row = row("lrn.streaming_step", "native", "1x1x" + input + "x" + hidden, ms[0]);
            floors(row, ms[0], model.lrnForwardMs(1, 1, input, hidden), measured.lrnForwardMs(1, 1, input, hidden));
            row.put("us", ms[0] * 1e3);
            peerColumns(row, stepPeer, ms, model.lstmForwardMs(1, 1, input, hidden));
            emit(row);
        }
    }

    // ---- 6. LSTM peers ---------------------------------------------------------------------------

    /** A loaded LSTM peer and the largest relative difference of its check against {@link LstmReference}. */
    private record CheckedPeer(LstmPeer peer, double maxRelDiff) {
    }

    /** Sizes of the checks: small and odd, so that a transposed or misordered weight shows. */
    private static final int CHECK_STEPS = 5;
    private static final int CHECK_BATCH = 3;
    private static final int CHECK_INPUT = 7;
    private static final int CHECK_HIDDEN = 6;

    /** The peer, or null with a note saying why (and how to fetch it) when it cannot load here. */
    private LstmPeer lstmPeer(String className, String library, int threads) {
        if (noLstmPeers) {
            return null;
        }
        try {
            LstmPeer p = LstmPeer.load(className, threads);
            note("LSTM peer " + p.name() + ": " + p.version());
            return p;
        } catch (IllegalStateException e) {
            note("no " + library + " LSTM peer: " + e.getMessage());
            return null;
        }
    }

    /** The peer's forward case at the check size, against the reference; null without a peer. */
    private static CheckedPeer checkForward(LstmPeer peer) {
        if (peer == null) {
            return null;
        }
        LstmWeights w = LstmWeights.random(37, CHECK_INPUT, CHECK_HIDDEN);
        float[] x = LstmWeights.uniform(new SplittableRandom(38), CHECK_STEPS * CHECK_BATCH * CHECK_INPUT, 1);
        try (LstmPeer.Case c = peer.forwardCase(w, x, CHECK_STEPS, CHECK_BATCH)) {
            c.run();
            return new CheckedPeer(peer, maxRelDiff(c.output(),
                    LstmReference.forward(w, x, CHECK_STEPS, CHECK_BATCH, null, null).y()));
        }
    }

    /** The peer's streaming case, stepped CHECK_STEPS times on one input, against the reference sequence. */
    private static CheckedPeer checkStep(LstmPeer peer) {
        if (peer == null) {
            return null;
        }
        SplittableRandom rng = new SplittableRandom(39);
        LstmWeights w = LstmWeights.random(40, CHECK_INPUT, CHECK_HIDDEN);
        float[] x = LstmWeights.uniform(rng, CHECK_BATCH * CHECK_INPUT, 1);
        float[] h0 = LstmWeights.uniform(rng, CHECK_BATCH * CHECK_HIDDEN, 1);
        float[] c0 = LstmWeights.uniform(rng, CHECK_BATCH * CHECK_HIDDEN, 1);
        float[] sequence = new float[CHECK_STEPS * x.length];
        for (int s = 0; s < CHECK_STEPS; s++) {
            System.arraycopy(x, 0, sequence, s * x.length, x.length);
        }
        try (LstmPeer.Case c = peer.streamingCase(w, x, CHECK_BATCH, h0, c0)) {
            for (int s = 0; s < CHECK_STEPS; s++) {
                c.run();
            }
            return new CheckedPeer(peer, maxRelDiff(c.output(),
                    LstmReference.forward(w, sequence, CHECK_STEPS, CHECK_BATCH, h0, c0).h()));
        }
    }

    /** The peer's training case: one call's input and weight gradients against the reference's. */
    private static CheckedPeer checkTraining(LstmPeer peer) {
        if (peer == null) {
            return null;
        }
        SplittableRandom rng = new SplittableRandom(41);
        LstmWeights w = LstmWeights.random(42, CHECK_INPUT, CHECK_HIDDEN);
        float[] x = LstmWeights.uniform(rng, CHECK_STEPS * CHECK_BATCH * CHECK_INPUT, 1);
        float[] dy = LstmWeights.uniform(rng, CHECK_STEPS * CHECK_BATCH * CHECK_HIDDEN, 1);
        try (LstmPeer.Case c = peer.trainingCase(w, x, dy, CHECK_STEPS, CHECK_BATCH)) {
            c.run();
            LstmReference.Gradients g = LstmReference.backward(w, x, CHECK_STEPS, CHECK_BATCH, null, null, dy);
            return new CheckedPeer(peer, Math.max(maxRelDiff(c.output(), g.dx()),
                    maxRelDiff(c.weightGradient(), g.dw())));
        }
    }

    /**
     * Median milliseconds of lrn4j's call and, when there is a peer case, of the peer's, timed in
     * alternating blocks; {ms, NaN} without one.
     */
    private static double[] timed(Timing timing, Runnable mine, LstmPeer.Case peerCase) {
        return peerCase == null ? new double[] {timing.median(mine), Double.NaN} : timing.paired(mine, peerCase);
    }

    /** The LSTM peer's columns of a row: its time, the ratio, its GEMM floor and its check. */
    private void peerColumns(Map<String, Object> row, CheckedPeer peer, double[] ms, double peerFloor) {
        if (peer == null) {
            return;
        }
        row.put("peer", peer.peer.name());
        row.put("peer_version", peer.peer.version());
        row.put("peer_ms", ms[1]);
        row.put("x_peer", ms[0] / ms[1]);
        row.put("peer_floor_ms", peerFloor);
        boolean ok = peer.maxRelDiff <= TOLERANCE;
        row.put("peer_max_rel_diff", Double.isNaN(peer.maxRelDiff) ? "NaN" : peer.maxRelDiff);
        row.put("peer_check", ok ? "ok" : "FAIL");
        if (!ok) {
            failedChecks++;
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static Lrn layer(Backend backend, int input, int hidden) {
        return Lrn.builder().backend(backend).inputSize(input).hiddenSize(hidden).seed(7).build();
    }

    /** A FLOAT32 host tensor of uniform values in (-1, 1): never zeros, so an unwritten output shows. */
    private static Tensor random(long seed, long... shape) {
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor t = Tensor.host(DType.FLOAT32, shape);
        double[] chunk = new double[1 << 16];
        for (long at = 0; at < t.numel(); at += chunk.length) {
            int n = (int) Math.min(chunk.length, t.numel() - at);
            for (int i = 0; i < n; i++) {
                chunk[i] = rng.nextDouble() * 2 - 1;
            }
            t.write(at, chunk, 0, n);
        }
        return t;
    }

    /**
     * max |actual − expected| / max |expected| over all elements, where expected gets bias[j] added in
     * column j when a bias is given. NaN anywhere gives NaN, which fails the check.
     */
    private static double maxRelDiff(Tensor actual, Tensor expected, Tensor bias) {
        FloatBuffer got = floats(actual);
        FloatBuffer want = floats(expected);
        FloatBuffer add = bias == null ? null : floats(bias);
        int cols = bias == null ? 1 : add.capacity();
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < want.capacity(); i++) {
            double ref = want.get(i) + (add == null ? 0 : add.get(i % cols));
            double d = Math.abs(got.get(i) - ref);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            maxDiff = Math.max(maxDiff, d);
            maxRef = Math.max(maxRef, Math.abs(ref));
        }
        return maxDiff / Math.max(maxRef, Double.MIN_NORMAL);
    }

    /** max |actual − expected| / max |expected|, NaN when actual holds a NaN. */
    private static double maxRelDiff(float[] actual, double[] expected) {
        if (actual.length != expected.length) {
            return Double.NaN;
        }
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            maxDiff = Math.max(maxDiff, d);
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
        }
        return maxDiff / Math.max(maxRef, Double.MIN_NORMAL);
    }

    private static FloatBuffer floats(Tensor t) {
        return ((HostStorage) t.storage()).buffer().asFloatBuffer();
    }

    private void check(Map<String, Object> row, double diff) {
        boolean ok = diff <= TOLERANCE;
        // JSON has no NaN: a NaN difference (a NaN in the output) is written as text.
        row.put("max_rel_diff", Double.isNaN(diff) ? "NaN" : diff);
        row.put("check", ok ? "ok" : "FAIL");
        if (!ok) {
            failedChecks++;
        }
    }

    private static Map<String, Object> row(String name, String backend, String shape, double ms) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", name);
        if (backend != null) {
            row.put("backend", backend);
        }
        row.put("shape", shape);
        row.put("ms", ms);
        return row;
    }

    private static void floors(Map<String, Object> row, double ms, double floor, Double measuredFloor) {
        row.put("floor_ms", floor);
        row.put("x_floor", ms / floor);
        if (measuredFloor != null) {
            row.put("floor_measured_ms", measuredFloor);
        }
    }

    /** Diagnostics: above the table, or on stderr beside JSON so that stdout stays one object per line. */
    private void note(String line) {
        (json ? System.err : System.out).println(line);
    }

    private void emit(Map<String, Object> row) {
        if (json) {
            System.out.println(gson.toJson(row));
            return;
        }
        StringBuilder notes = new StringBuilder();
        row.forEach((k, v) -> {
            if (!COLUMNS.contains(k)) {
                notes.append(notes.length() > 0 ? " " : "").append(k).append('=').append(text(v));
            }
        });
        System.out.printf("%-20s %-7s %-15s %10s %10s %7s %10s %7s  %s%n", row.get("name"),
                row.getOrDefault("backend", ""), row.get("shape"), text(row.get("ms")), text(row.get("floor_ms")),
                text(row.get("x_floor")), text(row.get("peer_ms")), text(row.get("x_peer")), notes);
    }

    private static String text(Object v) {
        if (v == null) {
            return "-";
        }
        return v instanceof Double d ? String.format(Locale.ROOT, "%.4g", d) : v.toString();
    }
}
