package org.lrn4j.data;

import java.util.Arrays;

/** A growable int array for token streams whose length is not known in advance. */
final class IntArrayBuilder {
    private int[] values;
    private int size;

    IntArrayBuilder(int capacity) {
        values = new int[Math.max(16, capacity)];
    }

    void add(int v) {
        if (size == values.length) {
            if (values.length == Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("more than " + size + " tokens do not fit in one Java array");
            }
            values = Arrays.copyOf(values, (int) Math.min(Integer.MAX_VALUE - 8, values.length * 2L));
        }
        values[size++] = v;
    }

    int size() {
        return size;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
