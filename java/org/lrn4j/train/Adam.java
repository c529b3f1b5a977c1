package org.lrn4j.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.lrn4j.backend.Backend;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.Tensor;

/** Adam with decoupled weight decay (AdamW when weightDecay > 0); see lrn4j_adam_step. */
public final class Adam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final List<Tensor> m = new ArrayList<>();
    private final List<Tensor> v = new ArrayList<>();

    public Adam(Backend backend, List<Parameter> parameters, double lr, double beta1, double beta2, double eps,
                double weightDecay) {
        super(backend, parameters, lr);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (Parameter p : this.parameters) {
            m.add(stateFor(p, "adam_m"));
            v.add(stateFor(p, "adam_v"));
        }
    }

    public Adam(Backend backend, List<Parameter> parameters, double lr) {
        this(backend, parameters, lr, 0.9, 0.999, 1e-8, 0.0);
    }

    @Override
    protected void update(double gradScale, long step) {
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = parameters.get(i);
            backend.adamStep(p.value(), p.grad(), m.get(i), v.get(i), learningRate(), beta1, beta2, eps, weightDecay,
                    gradScale, step);
        }
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", "adam");
        c.put("lr", learningRate());
        c.put("beta1", beta1);
        c.put("beta2", beta2);
        c.put("eps", eps);
        c.put("weight_decay", weightDecay);
        return c;
    }
}
