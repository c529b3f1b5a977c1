package org.lrn4j.backend;

/**
 * The cells whose recurrence goes through a matrix product h₋₁·U, computed by
 * {@link Backend#cellStepForward} and {@link Backend#cellStepBackward} one time step at a time. Codes match
 * LRN4J_CELL_* of lrn4j.h; see there for each cell's formulas.
 */
public enum Cell {
    /** Planes i, f, g, o; state h and c. */
    LSTM(0, 4),
    /** Planes r, z, n (the PyTorch/cuDNN formulation); state h. */
    GRU(1, 3),
    /** One plane (p, and q on the recurrent side); state h. */
    ATR(2, 1);

    private final int code;
    private final int planes;

    Cell(int code, int planes) {
        this.code = code;
        this.planes = planes;
    }

    /** The LRN4J_CELL_* value passed to the kernels. */
    public int code() {
        return code;
    }

    /** Gate planes G of H units in a row of gx or gh: 4, 3 or 1. */
    public int planes() {
        return planes;
    }

    /** Whether the cell carries a cell state c beside h (the LSTM). */
    public boolean hasCellState() {
        return this == LSTM;
    }
}
