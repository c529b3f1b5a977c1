package org.lrn4j.cli;

import static org.lrn4j.cli.LstmWeights.F;
import static org.lrn4j.cli.LstmWeights.G;
import static org.lrn4j.cli.LstmWeights.I;
import static org.lrn4j.cli.LstmWeights.O;

import java.util.ArrayList;
import java.util.List;

/**
 * An ONNX model of one graph holding one standard {@code LSTM} operator (default activations, forward
 * direction), written as ModelProto bytes for ONNX Runtime to load; ONNX Runtime's Java API has no graph
 * builder. The weights are initializers, restacked into ONNX's gate order i, o, f, c with the input and
 * recurrent biases side by side, B = [Wb, Rb].
 *
 * <p>Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto).
 */
final class OnnxLstmModel {
    /** The IR version and opset written: both long supported by ONNX Runtime; LSTM-14 is the latest LSTM. */
    static final int IR_VERSION = 8;
    static final int OPSET = 17;

    private static final int FLOAT = 1;
    private static final int ATTRIBUTE_INT = 2;
    /** ONNX's order of the gates, as indices into {@link LstmWeights}' order. */
    private static final int[] ONNX_GATES = {I, O, F, G};

    private OnnxLstmModel() {
    }

    /**
     * A whole sequence from a zero state: input {@code X} [T, B, D], output {@code Y} [T, 1, B, H] (the
     * outputs of every step; the direction axis has size 1).
     */
    static byte[] sequence(LstmWeights w, int steps, int batch) {
        int h = w.hidden();
        return model(w, List.of("X"), List.of("Y"),
                List.of(valueInfo("X", steps, batch, w.input())), List.of(valueInfo("Y", steps, 1, batch, h)));
    }

    /**
     * Steps fed one call at a time with the state carried by the caller: inputs {@code X} [1, B, D],
     * {@code initial_h} and {@code initial_c} [1, B, H]; outputs {@code Y_h} and {@code Y_c} [1, B, H], the
     * state after the step (Y_h is also the step's output).
     */
    static byte[] step(LstmWeights w, int batch) {
        int h = w.hidden();
        return model(w, List.of("X", "", "initial_h", "initial_c"), List.of("", "Y_h", "Y_c"),
                List.of(valueInfo("X", 1, batch, w.input()), valueInfo("initial_h", 1, batch, h),
                        valueInfo("initial_c", 1, batch, h)),
                List.of(valueInfo("Y_h", 1, batch, h), valueInfo("Y_c", 1, batch, h)));
    }

    /**
     * The model around the LSTM node. {@code dataInputs} are the node inputs after W, R and B (X,
     * sequence_lens, initial_h, initial_c, an empty name leaving one out); {@code outputs} are Y, Y_h, Y_c.
     */
    private static byte[] model(LstmWeights w, List<String> dataInputs, List<String> outputs,
                                List<ProtoWriter> graphInputs, List<ProtoWriter> graphOutputs) {
        int h = w.hidden();
        int d = w.input();
        float[] wOnnx = new float[4 * h * d];
        float[] rOnnx = new float[4 * h * h];
        float[] bOnnx = new float[8 * h];
        float[] rb = new float[4 * h];
        for (int to = 0; to < 4; to++) {
            int from = ONNX_GATES[to];
            LstmWeights.copyGate(w.w(), from, wOnnx, to, h, d);
            LstmWeights.copyGate(w.r(), from, rOnnx, to, h, h);
            LstmWeights.copyGate(w.bw(), from, bOnnx, to, h, 1);
            LstmWeights.copyGate(w.br(), from, rb, to, h, 1);
        }
        System.arraycopy(rb, 0, bOnnx, 4 * h, 4 * h);

        List<String> nodeInputs = new ArrayList<>();
        nodeInputs.add(dataInputs.get(0));
        nodeInputs.addAll(List.of("W", "R", "B"));
        nodeInputs.addAll(dataInputs.subList(1, dataInputs.size()));
        ProtoWriter node = new ProtoWriter();
        nodeInputs.forEach(name -> node.string(1, name));
        outputs.forEach(name -> node.string(2, name));
        node.string(3, "lstm").string(4, "LSTM")
                .message(5, new ProtoWriter().string(1, "hidden_size").varint(20, ATTRIBUTE_INT).varint(3, h));

        ProtoWriter graph = new ProtoWriter().message(1, node).string(2, "lrn4j_lstm_peer")
                .message(5, tensor("W", wOnnx, 1, 4 * h, d))
                .message(5, tensor("R", rOnnx, 1, 4 * h, h))
                .message(5, tensor("B", bOnnx, 1, 8 * h));
        graphInputs.forEach(v -> graph.message(11, v));
        graphOutputs.forEach(v -> graph.message(12, v));

        return new ProtoWriter().varint(1, IR_VERSION).string(2, "lrn4j").message(7, graph)
                .message(8, new ProtoWriter().string(1, "").varint(2, OPSET)).toByteArray();
    }

    /** A FLOAT TensorProto with its values in raw_data. */
    static ProtoWriter tensor(String name, float[] values, long... dims) {
        ProtoWriter t = new ProtoWriter();
        for (long dim : dims) {
            t.varint(1, dim);
        }
        return t.varint(2, FLOAT).string(8, name).bytes(9, ProtoWriter.littleEndian(values));
    }

    /** A ValueInfoProto of a FLOAT tensor of fixed shape. */
    static ProtoWriter valueInfo(String name, long... dims) {
        ProtoWriter shape = new ProtoWriter();
        for (long dim : dims) {
            shape.message(1, new ProtoWriter().varint(1, dim));
        }
        ProtoWriter tensorType = new ProtoWriter().varint(1, FLOAT).message(2, shape);
        return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
    }
}
