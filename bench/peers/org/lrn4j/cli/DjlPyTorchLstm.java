package org.lrn4j.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

/**
 * PyTorch's LSTM ({@code torch::lstm}, the kernel behind {@code torch.nn.LSTM}) through DJL, on the CPU,
 * with autograd for the training case.
 *
 * <p>DJL runs offline: {@code ai.djl.offline} is set, and the PyTorch natives come from the
 * pytorch-native-cpu jar on the class path (DJL unpacks them once into its cache folder, by default
 * {@code ~/.djl.ai}). PyTorch's intra-op threads are set to the thread count given, inter-op threads
 * to one, unless {@code ai.djl.pytorch.num_threads} or {@code ai.djl.pytorch.num_interop_threads} are set.
 */
final class DjlPyTorchLstm implements LstmPeer {
    private final Engine engine;
    private final NDManager manager;
    private final int threads;

    DjlPyTorchLstm(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        System.setProperty("ai.djl.offline", "true");
        setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(threads));
        setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
        this.engine = Engine.getEngine("PyTorch");
        // The properties act only when the engine first starts; this holds for a later peer too.
        JniUtils.setNumThreads(Integer.getInteger("ai.djl.pytorch.num_threads", threads));
        this.threads = JniUtils.getNumThreads();
        this.manager = engine.newBaseManager(Device.cpu());
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    @Override
    public String name() {
        return "djl-pytorch-lstm";
    }

    @Override
    public String version() {
        return "PyTorch " + engine.getVersion() + " (DJL " + Engine.getDjlVersion() + "), " + threads + " threads";
    }

    @Override
    public Case forwardCase(LstmWeights w, float[] x, int steps, int batch) {
        return new DjlCase(w, x, null, steps, batch);
    }

    @Override
    public Case trainingCase(LstmWeights w, float[] x, float[] dy, int steps, int batch) {
        if (dy.length != steps * batch * w.hidden()) {
            throw new IllegalArgumentException("dy has " + dy.length + " values, not T·B·H");
        }
        return new DjlCase(w, x, dy, steps, batch);
    }

    @Override
    public void close() {
        manager.close();
    }

    /** Forward only (dy null) or forward and backward; the arrays live in a manager of the case's own. */
    private final class DjlCase implements Case {
        private final NDManager own = manager.newSubManager();
        private final NDArray x;
        private final NDArray dy;
        private final NDArray wih;
        private final NDList state;
        private final NDList params;
        private final boolean training;
        private float[] y;

        DjlCase(LstmWeights w, float[] x, float[] dy, int steps, int batch) {
            int h = w.hidden();
            this.training = dy != null;
            this.x = own.create(x, new Shape(steps, batch, w.input()));
            this.dy = training ? own.create(dy, new Shape(steps, batch, h)) : null;
            // torch::lstm takes [w_ih, w_hh, b_ih, b_hh] with the gates stacked i, f, g, o: LstmWeights' order.
            this.wih = own.create(w.w(), new Shape(4L * h, w.input()));
            this.params = new NDList(wih, own.create(w.r(), new Shape(4L * h, h)), own.create(w.bw(), new Shape(4L * h)),
                    own.create(w.br(), new Shape(4L * h)));
            this.state = new NDList(own.zeros(new Shape(1, batch, h)), own.zeros(new Shape(1, batch, h)));
            if (training) {
                this.x.setRequiresGradient(true);
                params.forEach(p -> p.setRequiresGradient(true));
            }
        }

        @Override
        public void run() {
            // Every array an operation makes joins its first input's manager: x is moved into a scope
            // for the call, so those arrays are freed when the call ends.
            try (NDManager scope = own.newSubManager()) {
                x.tempAttach(scope);
                if (!training) {
                    NDList out = lstm(false);
                    if (y == null) {
                        y = out.head().toFloatArray();
                    }
                    return;
                }
                try (GradientCollector collector = engine.newGradientCollector()) {
                    NDArray out = lstm(true).head();
                    // The collector records the graph; backward from the given dy goes through the engine's
                    // JNI, as GradientCollector.backward only starts from ones.
                    JniUtils.backward((PtNDArray) out, (PtNDArray) dy, false, false);
                }
            }
        }

        private NDList lstm(boolean train) {
            return x.getNDArrayInternal().lstm(x, state, params, true, 1, 0, train, false, false);
        }

        @Override
        public float[] output() {
            if (!training) {
                return y;
            }
            try (NDArray g = x.getGradient()) {
                return g.toFloatArray();
            }
        }

        @Override
        public float[] weightGradient() {
            if (!training) {
                throw new UnsupportedOperationException("the forward case computes no gradient");
            }
            try (NDArray g = wih.getGradient()) {
                return g.toFloatArray();
            }
        }

        @Override
        public void close() {
            own.close();
        }
    }
}
