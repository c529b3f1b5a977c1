package org.lrn4j.train;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.Tensor;
import org.lrn4j.train.checkpoint.FileFormatException;
import org.lrn4j.train.checkpoint.Safetensors;
import org.lrn4j.train.checkpoint.SafetensorsFile;
import org.lrn4j.train.checkpoint.SafetensorsWriter;

/** Moving parameters and optimizer state between tensors (host or device) and safetensors files. */
public final class TensorIO {
    private TensorIO() {
    }

    /** Adds every parameter value under its name, as F32. */
    public static SafetensorsWriter parameters(List<Parameter> parameters) {
        SafetensorsWriter w = new SafetensorsWriter();
        for (Parameter p : parameters) {
            w.add(p.name(), p.value().toFloatArray(), p.value().shape());
        }
        return w;
    }

    /** Adds every named tensor, as F32. */
    public static SafetensorsWriter tensors(Map<String, Tensor> tensors) {
        SafetensorsWriter w = new SafetensorsWriter();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            w.add(e.getKey(), e.getValue().toFloatArray(), e.getValue().shape());
        }
        return w;
    }

    /** Loads every parameter from the tensor of its name, checking that each is there with its shape. */
    public static void loadParameters(SafetensorsFile file, List<Parameter> parameters) throws IOException {
        for (Parameter p : parameters) {
            load(file, p.name(), p.value());
        }
    }

    /** Loads each named tensor from the file. */
    public static void loadTensors(SafetensorsFile file, Map<String, Tensor> tensors) throws IOException {
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            load(file, e.getKey(), e.getValue());
        }
    }

    private static void load(SafetensorsFile file, String name, Tensor into) throws IOException {
        if (!file.contains(name)) {
            throw new FileFormatException("the checkpoint has no tensor '" + name + "' (it holds " + file.names() + ")");
        }
        Safetensors.TensorInfo info = file.info(name);
        if (!Arrays.equals(info.shape(), into.shape())) {
            throw new FileFormatException("tensor '" + name + "' has shape " + Arrays.toString(info.shape())
                    + " in the checkpoint but " + Arrays.toString(into.shape()) + " in the model");
        }
        float[] values = file.floats(name);
        try (Tensor host = Tensor.of(values, into.shape())) {
            into.copyFrom(host);
        }
    }
}
