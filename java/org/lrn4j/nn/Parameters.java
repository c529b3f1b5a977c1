package org.lrn4j.nn;

import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/** Making parameters: values written on the host, copied to the backend, with a zeroed gradient beside. */
public final class Parameters {
    private Parameters() {
    }

    public static Parameter make(Backend backend, DType dtype, String name, double[] values, long... shape) {
        try (Tensor host = Tensor.host(dtype, shape)) {
            host.write(0, values, 0, values.length);
            Tensor value = backend.copyOf(host);
            Tensor grad = backend.allocate(dtype, shape);
            grad.zero();
            return new Parameter(name, value, grad);
        }
    }
}
