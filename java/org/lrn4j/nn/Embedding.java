package org.lrn4j.nn;

import java.util.List;
import java.util.SplittableRandom;

import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * A table of {@code vocabulary} vectors of {@code dim} values: the lookup maps ids to rows (id -1 is
 * padding: a zero row), the backward adds the output gradient into the rows it read (deterministic).
 * Rows start uniform in ±scale (seeded).
 */
public final class Embedding implements AutoCloseable {
    private final Backend backend;
    private final int vocabulary;
    private final int dim;
    private final Parameter table;

    public Embedding(Backend backend, DType dtype, int vocabulary, int dim, double scale, long seed, String name) {
        if (vocabulary < 1 || dim < 1) {
            throw new IllegalArgumentException("vocabulary and dim must be >= 1, got " + vocabulary + " and " + dim);
        }
        this.backend = backend;
        this.vocabulary = vocabulary;
        this.dim = dim;
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[Math.multiplyExact(vocabulary, dim)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (rng.nextDouble() * 2 - 1) * scale;
        }
        table = Parameters.make(backend, dtype, name + ".table", v, vocabulary, dim);
    }

    public int vocabulary() {
        return vocabulary;
    }

    public int dim() {
        return dim;
    }

    public List<Parameter> parameters() {
        return List.of(table);
    }

    /** out[i, :] = table[ids[i], :] for the rows ids (INT32 on the backend, values in [0, V) or -1). */
    public void forward(int rows, Tensor ids, Tensor out) {
        backend.embeddingGather(rows, dim, ids, table.value(), vocabulary, dim, out, 0, dim);
    }

    /** Adds dOut's rows into the gradient rows of their ids. */
    public void backward(int rows, Tensor ids, Tensor dOut) {
        backend.embeddingScatterAdd(rows, dim, ids, dOut, 0, dim, table.grad(), vocabulary, dim);
    }

    @Override
    public void close() {
        table.close();
    }
}
