package org.lrn4j.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.lrn4j.backend.Backend;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.Tensor;

/** Stochastic gradient descent with momentum (optionally Nesterov) and L2 weight decay; see lrn4j_sgd_step. */
public final class Sgd extends Optimizer {
    private final double momentum;
    private final double weightDecay;
    private final boolean nesterov;
    private final List<Tensor> velocity = new ArrayList<>();

    public Sgd(Backend backend, List<Parameter> parameters, double lr, double momentum, double weightDecay,
               boolean nesterov) {
        super(backend, parameters, lr);
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        for (Parameter p : this.parameters) {
            velocity.add(stateFor(p, "sgd_velocity"));
        }
    }

    @Override
    protected void update(double gradScale, long step) {
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = parameters.get(i);
            backend.sgdStep(p.value(), p.grad(), velocity.get(i), learningRate(), momentum, weightDecay, gradScale,
                    nesterov);
        }
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", "sgd");
        c.put("lr", learningRate());
        c.put("momentum", momentum);
        c.put("weight_decay", weightDecay);
        c.put("nesterov", nesterov);
        return c;
    }
}
