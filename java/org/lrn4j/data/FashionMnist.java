package org.lrn4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Fashion-MNIST (Xiao, Rasul &amp; Vollgraf 2017): 28×28 grey images of clothing in 10 classes, 60,000 for
 * training and 10,000 for test, as the four IDX files of the distribution ({@link Idx}), gzipped or not.
 *
 * <p><b>Where.</b> {@code <data directory>/fashion-mnist} ({@link DataDirectory}; {@code scripts/fetch-corpora.sh
 * --fashion-mnist} links it to the Debian package's files), else {@link #SYSTEM_LOCATION}, where the package
 * {@code dataset-fashion-mnist} installs them.
 *
 * <p><b>Split.</b> The test part is the distribution's 10,000 test images. The 60,000 training images are
 * shuffled by {@code java.util.Random} seeded with {@link #SPLIT_SEED} (the Java specification fixes its
 * algorithm; {@code Collections.shuffle} order); the first {@link #VALID_SIZE} = 5,000 of the shuffled order
 * are the validation part, the other 55,000 the training part.
 *
 * <p><b>Pixels</b> are scaled to [0, 1] (value / 255) and, for the sequence models, standardised with the
 * mean and standard deviation of the training part's pixels ({@link #pixelMean()}, {@link #pixelStd()}).
 *
 * <p><b>Permuted sequential form</b> (Le, Jaitly &amp; Hinton 2015, as in the LMU papers): each image is read one
 * pixel per step, 784 steps, in the order of a fixed random permutation of the row-major pixel indices, the
 * same for all images: {@link #permutation(long)}.
 */
public final class FashionMnist {
    /** Subdirectory of the {@link DataDirectory} that holds the files. */
    public static final String DIRECTORY = "fashion-mnist";
    /** Where the Debian package {@code dataset-fashion-mnist} installs the files. */
    public static final Path SYSTEM_LOCATION = Path.of("/usr/share/datasets/fashion-mnist");
    /** Image side. */
    public static final int SIDE = 28;
    /** Pixels per image, the steps of the sequential form. */
    public static final int PIXELS = SIDE * SIDE;
    /** Number of classes. */
    public static final int CLASSES = 10;
    /** Class names, index = label. */
    public static final List<String> LABELS = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** Seed of the validation split. */
    public static final long SPLIT_SEED = 2017;
    /** Training images held out for validation. */
    public static final int VALID_SIZE = 5000;
    /** The default seed of the pixel permutation. */
    public static final long PERMUTATION_SEED = 92916;

    /**
     * One part of the data.
     *
     * @param pixels n·784 bytes, image i at [784·i, 784·(i+1)), row-major, 0..255
     * @param labels n labels in [0, 10)
     */
    public record Part(byte[] pixels, int[] labels) {
        public Part {
            if (pixels.length != (long) labels.length * PIXELS) {
                throw new IllegalArgumentException(labels.length + " labels need " + (long) labels.length * PIXELS
                        + " pixels, got " + pixels.length);
            }
        }

        public int size() {
            return labels.length;
        }

        /** Pixel p (row-major) of image i, in [0, 1]. */
        public double pixel(int i, int p) {
            return (pixels[i * PIXELS + p] & 0xFF) / 255.0;
        }
    }

    private final Part train;
    private final Part valid;
    private final Part test;
    private final double mean;
    private final double std;

    /** The three parts; the pixel statistics come from the training part. */
    public FashionMnist(Part train, Part valid, Part test) {
        this.train = train;
        this.valid = valid;
        this.test = test;
        double sum = 0;
        double sq = 0;
        for (byte b : train.pixels()) {
            double v = (b & 0xFF) / 255.0;
            sum += v;
            sq += v * v;
        }
        long n = Math.max(1, train.pixels().length);
        this.mean = sum / n;
        this.std = Math.sqrt(Math.max(sq / n - mean * mean, 1e-12));
    }

    public Part train() {
        return train;
    }

    public Part valid() {
        return valid;
    }

    public Part test() {
        return test;
    }

    /** Mean of the training part's pixels in [0, 1] scale. */
    public double pixelMean() {
        return mean;
    }

    /** Standard deviation of the training part's pixels in [0, 1] scale. */
    public double pixelStd() {
        return std;
    }

    /** "fashion-mnist: 55000 train, 5000 valid, 10000 test images of 28×28". */
    public String describe() {
        return "fashion-mnist: " + train.size() + " train, " + valid.size() + " valid, " + test.size()
                + " test images of " + SIDE + "×" + SIDE;
    }

    /** The directory the files are read from by default (see the class comment); it need not exist. */
    public static Path defaultLocation() {
        Path local = DataDirectory.root().resolve(DIRECTORY);
        return find(local, "train-images-idx3-ubyte") != null ? local : SYSTEM_LOCATION;
    }

    /** Whether the four files are in dir (gzipped or not). */
    public static boolean available(Path dir) {
        for (String f : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte")) {
            if (find(dir, f) == null) {
                return false;
            }
        }
        return true;
    }

    /** Loads the data from {@link #defaultLocation()}. */
    public static FashionMnist load() throws IOException {
        return load(defaultLocation());
    }

    /** Loads the four files of dir and splits them as the class comment says. */
    public static FashionMnist load(Path dir) throws IOException {
        Part all = part(dir, "train");
        Part test = part(dir, "t10k");
        if (all.size() <= VALID_SIZE) {
            throw new IOException(dir + ": the training file has " + all.size() + " images, need more than "
                    + VALID_SIZE + " for the validation split");
        }
        int[] order = splitOrder(all.size());
        return new FashionMnist(select(all, order, VALID_SIZE, all.size()), select(all, order, 0, VALID_SIZE), test);
    }

    /**
     * The shuffled order of n training images that the split takes: a Fisher–Yates shuffle of 0..n-1 with
     * {@code java.util.Random(SPLIT_SEED)}, as {@code Collections.shuffle} does it.
     */
    static int[] splitOrder(int n) {
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new Random(SPLIT_SEED));
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * A fixed permutation of the 784 pixel indices: step t of the permuted sequential form reads pixel
     * {@code permutation(seed)[t]} (row-major index). A Fisher–Yates shuffle with {@code java.util.Random(seed)}.
     */
    public static int[] permutation(long seed) {
        int[] p = new int[PIXELS];
        for (int i = 0; i < PIXELS; i++) {
            p[i] = i;
        }
        Random rng = new Random(seed);
        for (int i = PIXELS - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /**
     * Writes a batch in the permuted sequential form, time-major: {@code out[t·B + b] = (pixel(image, perm[t])
     * − mean) / std} (standardised) or {@code pixel(image, perm[t])} for the images {@code indices[from..from+B)}
     * of a part, one input per step.
     *
     * @param out at least 784·B values
     */
    public void sequences(Part part, int[] indices, int from, int batch, int[] permutation, boolean standardise,
                          float[] out) {
        if (permutation.length != PIXELS) {
            throw new IllegalArgumentException("a permutation of " + PIXELS + " pixels, got " + permutation.length);
        }
        if (from < 0 || batch < 1 || from + batch > indices.length || out.length < PIXELS * batch) {
            throw new IllegalArgumentException("batch [" + from + ", " + (from + batch) + ") of " + indices.length
                    + " indices into " + out.length + " values");
        }
        double shift = standardise ? mean : 0;
        double divide = standardise ? std : 1;
        float[] value = new float[256];
        for (int v = 0; v < 256; v++) {
            value[v] = (float) ((v / 255.0 - shift) / divide);
        }
        byte[] px = part.pixels();
        for (int b = 0; b < batch; b++) {
            int base = indices[from + b] * PIXELS;
            for (int t = 0; t < PIXELS; t++) {
                out[t * batch + b] = value[px[base + permutation[t]] & 0xFF];
            }
        }
    }

    private static Part part(Path dir, String prefix) throws IOException {
        Path imagesFile = find(dir, prefix + "-images-idx3-ubyte");
        Path labelsFile = find(dir, prefix + "-labels-idx1-ubyte");
        if (imagesFile == null || labelsFile == null) {
            throw new IOException("Fashion-MNIST is not in " + dir + " (no " + prefix + "-images-idx3-ubyte[.gz] or "
                    + prefix + "-labels-idx1-ubyte[.gz]): apt-get install dataset-fashion-mnist, or run "
                    + "scripts/fetch-corpora.sh --fashion-mnist, or pass its directory");
        }
        Idx.Array images = Idx.read(imagesFile);
        Idx.Array labels = Idx.read(labelsFile);
        int[] id = images.dims();
        int[] ld = labels.dims();
        if (images.type() != Idx.Type.UBYTE || id.length != 3 || id[1] != SIDE || id[2] != SIDE) {
            throw new IOException(imagesFile + ": expected UBYTE images [n, 28, 28], got " + images.type() + " "
                    + Arrays.toString(id));
        }
        if (labels.type() != Idx.Type.UBYTE || ld.length != 1 || ld[0] != id[0]) {
            throw new IOException(labelsFile + ": expected " + id[0] + " UBYTE labels, got " + labels.type() + " "
                    + Arrays.toString(ld));
        }
        byte[] lb = labels.ubytes();
        int[] y = new int[lb.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = lb[i] & 0xFF;
            if (y[i] >= CLASSES) {
                throw new IOException(labelsFile + ": label " + y[i] + " at " + i + " is not in [0, " + CLASSES + ")");
            }
        }
        return new Part(images.ubytes(), y);
    }

    private static Part select(Part all, int[] order, int from, int to) {
        byte[] px = new byte[(to - from) * PIXELS];
        int[] y = new int[to - from];
        for (int i = from; i < to; i++) {
            System.arraycopy(all.pixels(), order[i] * PIXELS, px, (i - from) * PIXELS, PIXELS);
            y[i - from] = all.labels()[order[i]];
        }
        return new Part(px, y);
    }

    private static Path find(Path dir, String name) {
        for (String n : List.of(name + ".gz", name)) {
            Path p = dir.resolve(n);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }
}
