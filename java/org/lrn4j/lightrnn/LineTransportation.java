package org.lrn4j.lightrnn;

import java.util.Arrays;

/**
 * One of the two one-dimensional relaxations of the allocation: words to the rows alone (cost l_r(w, i),
 * every row holding at most cols words), or to the columns alone (l_c(w, j), at most rows words each). It is
 * a transportation problem, solved here by an auction for similar objects with ε-scaling: each line (row or
 * column) is {@code capacity} slots, a word bids for the cheapest slot of its best line, and the price of a
 * line is the price of its cheapest slot. A bid looks at every line once, O(lines) instead of the
 * O(rows·cols) of a bid for a cell, so both relaxations together cost a small fraction of the full auction.
 *
 * <p>Its use is the price of each line at the end: π(i) for rows and σ(j) for columns make the separable
 * cell prices π(i) + σ(j) under which each word's best row and best column are where the relaxations put
 * it. The full auction starts from them ({@link AuctionAllocationSolver}); its guarantee does not depend on
 * the starting prices, only its running time does.
 */
final class LineTransportation {
    private final int words;
    private final int lines;
    private final int capacity;
    private final float[] cost;
    private final int slots;
    private final double[] price;
    private final int[] holder;
    private final int[] slotOf;
    /** Per line, its slots as a binary min-heap on price: heap[line·capacity + k]. */
    private final int[] heap;
    private final int[] queue;
    /** The price of each line's cheapest slot (the top of its heap), kept contiguous for the bid's scan. */
    private final double[] linePrice;
    private int head;
    private int tail;
    private int queued;
    private double eps;

    /**
     * @param cost     {@code cost[w·lines + k]}: word w on line k
     * @param capacity slots per line; {@code lines·capacity ≥ words}
     */
    private LineTransportation(int words, int lines, int capacity, float[] cost) {
        this.words = words;
        this.lines = lines;
        this.capacity = capacity;
        this.cost = cost;
        slots = lines * capacity;
        price = new double[slots];
        holder = new int[slots];
        slotOf = new int[slots];
        heap = new int[slots];
        for (int s = 0; s < slots; s++) {
            heap[s] = s;
        }
        queue = new int[slots];
        linePrice = new double[lines];
    }

    /**
     * The price of every line after the relaxation is solved to within {@code epsFinal} per word
     * (ε-scaling from a fifth of the largest per-word cost spread).
     */
    static double[] linePrices(int words, int lines, int capacity, float[] cost, double epsFinal) {
        LineTransportation t = new LineTransportation(words, lines, capacity, cost);
        double spread = 0;
        for (int w = 0; w < words; w++) {
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < lines; k++) {
                lo = Math.min(lo, cost[w * lines + k]);
                hi = Math.max(hi, cost[w * lines + k]);
            }
            spread = Math.max(spread, (double) hi - lo);
        }
        t.eps = Math.max(spread / AuctionAllocationSolver.SCALING, epsFinal);
        while (true) {
            t.phase();
            if (t.eps <= epsFinal) {
                break;
            }
            t.eps = Math.max(t.eps / AuctionAllocationSolver.SCALING, epsFinal);
        }
        double[] out = new double[lines];
        for (int k = 0; k < lines; k++) {
            out[k] = t.linePrice[k];
        }
        return out;
    }

    private void phase() {
        Arrays.fill(holder, -1);
        Arrays.fill(slotOf, -1);
        head = 0;
        tail = 0;
        queued = 0;
        for (int p = 0; p < slots; p++) {
            queue[tail++] = p;
        }
        tail = 0;
        queued = slots;
        while (queued > 0) {
            int p = queue[head];
            head = head + 1 == slots ? 0 : head + 1;
            queued--;
            bid(p);
        }
    }

    /** A word (p < words) or a dummy (cost 0 everywhere, standing for a slot left empty) bids. */
    private void bid(int p) {
        int base = p * lines;
        boolean dummy = p >= words;
        double b1 = Double.POSITIVE_INFINITY;
        double b2 = Double.POSITIVE_INFINITY;
        int best = -1;
        for (int k = 0; k < lines; k++) {
            double value = (dummy ? 0 : cost[base + k]) + linePrice[k];
            if (value < b2) {
                if (value < b1) {
                    b2 = b1;
                    b1 = value;
                    best = k;
                } else {
                    b2 = value;
                }
            }
        }
        int h0 = best * capacity;
        double within = secondPrice(h0);
        if (within < Double.POSITIVE_INFINITY) {
            b2 = Math.min(b2, (dummy ? 0 : cost[base + best]) + within);
        }
        int slot = heap[h0];
        double raise = (b2 == Double.POSITIVE_INFINITY ? 0 : b2 - b1) + eps;
        int old = holder[slot];
        if (old >= 0) {
            slotOf[old] = -1;
            queue[tail] = old;
            tail = tail + 1 == slots ? 0 : tail + 1;
            queued++;
        }
        holder[slot] = p;
        slotOf[p] = slot;
        price[slot] += raise;
        siftDown(h0);
        linePrice[best] = price[heap[h0]];
    }

    /** The second-lowest slot price of the line whose heap starts at h0 (+∞ for a single slot). */
    private double secondPrice(int h0) {
        double second = Double.POSITIVE_INFINITY;
        if (capacity > 1) {
            second = price[heap[h0 + 1]];
        }
        if (capacity > 2) {
            second = Math.min(second, price[heap[h0 + 2]]);
        }
        return second;
    }

    private void siftDown(int h0) {
        int k = 0;
        int s = heap[h0];
        double ps = price[s];
        while (true) {
            int c = 2 * k + 1;
            if (c >= capacity) {
                break;
            }
            if (c + 1 < capacity && price[heap[h0 + c + 1]] < price[heap[h0 + c]]) {
                c++;
            }
            if (price[heap[h0 + c]] >= ps) {
                break;
            }
            heap[h0 + k] = heap[h0 + c];
            k = c;
        }
        heap[h0 + k] = s;
    }
}
