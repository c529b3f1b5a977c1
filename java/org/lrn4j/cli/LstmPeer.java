package org.lrn4j.cli;

import java.lang.reflect.InvocationTargetException;

/**
 * An LSTM of another library: the peer of the LRN layer in {@code lrn4j bench cpu}. The implementations
 * (ONNX Runtime, PyTorch through DJL) live under {@code bench/peers}; only the Maven profile {@code peers}
 * compiles them, into {@code target/peers/classes}, and copies their libraries (hundreds of MB of
 * natives) into {@code target/peers/lib}, so the default build and test command never fetch them. This
 * interface finds an implementation by class name at run time and says how to fetch it when it is absent.
 *
 * <p>Weights and data are in the layouts of {@link LstmWeights} and {@link LstmReference}: time-major,
 * x [T, B, D], y [T, B, H], states [B, H].
 */
interface LstmPeer extends AutoCloseable {
    /** The command that builds the peers and fetches their libraries. */
    String FETCH = "mvn -B -Ppeers -DskipTests package";

    /** ONNX Runtime's CPU LSTM operator. */
    String ONNX_RUNTIME = "org.lrn4j.cli.OnnxRuntimeLstm";
    /** PyTorch's LSTM through DJL, with autograd. */
    String DJL_PYTORCH = "org.lrn4j.cli.DjlPyTorchLstm";

    /** A prepared call, repeated while it is timed; it owns the native memory it made. */
    interface Case extends Runnable, AutoCloseable {
        /**
         * What the last call computed: y [T, B, H] for {@link #forwardCase}, the state h [B, H] for
         * {@link #streamingCase}, the input gradient dx [T, B, D] for {@link #trainingCase} (after exactly
         * one call: the peer may accumulate gradients over calls).
         */
        float[] output();

        /** For {@link #trainingCase}: the input weights' gradient, [4H, D] in {@link LstmWeights}' gate order. */
        default float[] weightGradient() {
            throw new UnsupportedOperationException("this case computes no weight gradient");
        }

        @Override
        void close();
    }

    /** The peer's name in the benchmark rows, such as {@code onnxruntime-lstm}. */
    String name();

    /** The library and its version. */
    String version();

    /** Forward over a whole sequence from a zero state, computing the outputs y of every step. */
    default Case forwardCase(LstmWeights w, float[] x, int steps, int batch) {
        throw new UnsupportedOperationException(name() + " has no forward case");
    }

    /**
     * One step (T = 1) of a stream, starting from h0 and c0 [B, H]: each call reads x [1, B, D] and the
     * state the previous call left, and leaves the next state.
     */
    default Case streamingCase(LstmWeights w, float[] x, int batch, float[] h0, float[] c0) {
        throw new UnsupportedOperationException(name() + " has no streaming case");
    }

    /**
     * Forward over a sequence from a zero state, then backward from dy [T, B, H]: gradients of the weights,
     * the biases and the input.
     */
    default Case trainingCase(LstmWeights w, float[] x, float[] dy, int steps, int batch) {
        throw new UnsupportedOperationException(name() + " has no training case");
    }

    @Override
    void close();

    /**
     * The peer implemented by {@code className}, computing on {@code threads} threads; an
     * {@link IllegalStateException} saying why and how to fetch it when it cannot load here.
     */
    static LstmPeer load(String className, int threads) {
        try {
            return (LstmPeer) Class.forName(className).getDeclaredConstructor(int.class).newInstance(threads);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("the peers are not built; fetch them with `" + FETCH
                    + "` (./lrn4j bench cpu does this on its first run)", e);
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException("a library of the peer is not on the class path (" + e.getMessage()
                    + "); fetch the peers with `" + FETCH + "`", e);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw new IllegalStateException(cause instanceof NoClassDefFoundError
                    ? "a library of the peer is not on the class path (" + cause.getMessage()
                            + "); fetch the peers with `" + FETCH + "`"
                    : "it cannot start here: " + cause, cause);
        } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
            throw new IllegalStateException("it cannot load here: " + e, e);
        }
    }
}
