package org.lrn4j.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;

/**
 * ONNX Runtime's CPU {@code LSTM} operator, on a model written by {@link OnnxLstmModel}. The session runs
 * on the given number of intra-op threads, one inter-op thread, sequential execution and every graph
 * optimisation. Inputs and outputs are direct buffers made once: outputs are pinned, so a timed call
 * allocates no tensor, and the streaming case alternates between two pinned states.
 */
final class OnnxRuntimeLstm implements LstmPeer {
    private final OrtEnvironment env;
    private final int threads;

    OnnxRuntimeLstm(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "lrn4j");
        this.threads = threads;
    }

    @Override
    public String name() {
        return "onnxruntime-lstm";
    }

    @Override
    public String version() {
        return "onnxruntime " + env.getVersion() + ", " + threads + " intra-op threads";
    }

    @Override
    public Case forwardCase(LstmWeights w, float[] x, int steps, int batch) {
        Resources r = new Resources();
        try {
            OrtSession session = r.add(env.createSession(OnnxLstmModel.sequence(w, steps, batch), options(r)));
            OnnxTensor xt = r.add(tensor(x, steps, batch, w.input()));
            FloatBuffer y = direct(steps * batch * w.hidden());
            OnnxTensor yt = r.add(OnnxTensor.createTensor(env, y, new long[] {steps, 1, batch, w.hidden()}));
            Map<String, OnnxTensor> inputs = Map.of("X", xt);
            Map<String, OnnxTensor> outputs = Map.of("Y", yt);
            return new OrtCase(r) {
                @Override
                void call() throws OrtException {
                    session.run(inputs, outputs).close();
                }

                @Override
                public float[] output() {
                    return copy(y);
                }
            };
        } catch (OrtException | RuntimeException e) {
            r.close();
            throw new IllegalStateException("ONNX Runtime cannot run the LSTM model: " + e.getMessage(), e);
        }
    }

    @Override
    public Case streamingCase(LstmWeights w, float[] x, int batch, float[] h0, float[] c0) {
        int hidden = w.hidden();
        Resources r = new Resources();
        try {
            OrtSession session = r.add(env.createSession(OnnxLstmModel.step(w, batch), options(r)));
            OnnxTensor xt = r.add(tensor(x, 1, batch, w.input()));
            // State tensors h[0], c[0] and h[1], c[1]: a step reads one pair and writes the other.
            FloatBuffer[] h = {direct(batch * hidden), direct(batch * hidden)};
            FloatBuffer[] c = {direct(batch * hidden), direct(batch * hidden)};
            h[0].put(0, h0);
            c[0].put(0, c0);
            long[] shape = {1, batch, hidden};
            List<Map<String, OnnxTensor>> inputs = new ArrayList<>();
            List<Map<String, OnnxTensor>> outputs = new ArrayList<>();
            for (int k = 0; k < 2; k++) {
                OnnxTensor ht = r.add(OnnxTensor.createTensor(env, h[k], shape));
                OnnxTensor ct = r.add(OnnxTensor.createTensor(env, c[k], shape));
                inputs.add(Map.of("X", xt, "initial_h", ht, "initial_c", ct));
                outputs.add(Map.of("Y_h", ht, "Y_c", ct));
            }
            return new OrtCase(r) {
                private int current;

                @Override
                void call() throws OrtException {
                    session.run(inputs.get(current), outputs.get(1 - current)).close();
                    current = 1 - current;
                }

                @Override
                public float[] output() {
                    return copy(h[current]);
                }
            };
        } catch (OrtException | RuntimeException e) {
            r.close();
            throw new IllegalStateException("ONNX Runtime cannot run the LSTM step model: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        // The environment is shared by the whole process and lives as long as it does.
    }

    private OrtSession.SessionOptions options(Resources r) throws OrtException {
        OrtSession.SessionOptions o = r.add(new OrtSession.SessionOptions());
        o.setIntraOpNumThreads(threads);
        o.setInterOpNumThreads(1);
        o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        return o;
    }

    private OnnxTensor tensor(float[] values, long... shape) throws OrtException {
        FloatBuffer b = direct(values.length);
        b.put(0, values);
        return OnnxTensor.createTensor(env, b, shape);
    }

    /** Native-order direct memory, which ONNX Runtime reads and writes in place. */
    private static FloatBuffer direct(int n) {
        return ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static float[] copy(FloatBuffer b) {
        float[] v = new float[b.capacity()];
        b.get(0, v);
        return v;
    }

    /** What a case made, closed in reverse order with it. */
    private static final class Resources implements AutoCloseable {
        private final List<AutoCloseable> owned = new ArrayList<>();

        <T extends AutoCloseable> T add(T resource) {
            owned.add(resource);
            return resource;
        }

        @Override
        public void close() {
            for (int i = owned.size() - 1; i >= 0; i--) {
                try {
                    owned.get(i).close();
                } catch (Exception e) {
                    throw new IllegalStateException("cannot release an ONNX Runtime object: " + e.getMessage(), e);
                }
            }
            owned.clear();
        }
    }

    private abstract static class OrtCase implements Case {
        private final Resources resources;

        OrtCase(Resources resources) {
            this.resources = resources;
        }

        abstract void call() throws OrtException;

        @Override
        public void run() {
            try {
                call();
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            resources.close();
        }
    }
}
