package org.lrn4j.cli;

import java.util.List;
import java.util.Locale;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.lrn4j.tensor.HostStorage;
import org.lrn4j.tensor.Tensor;

/**
 * OpenBLAS {@code cblas_sgemm} through the JavaCPP presets: the GEMM peer of {@code lrn4j bench cpu}.
 *
 * <p>The presets bundle a DYNAMIC_ARCH libopenblas. It chooses its kernel set (its "core") once, when the
 * library loads, from CPUID or from the environment variable OPENBLAS_CORETYPE, and cannot change it
 * later; under a hypervisor CPUID can mislead it into an old SSE kernel. The presets do not bind
 * {@code openblas_get_corename}, so the core is read from the library's own dispatch pointer
 * {@code gotoblas}, which points at one of the exported {@code gotoblas_<CORE>} tables.
 */
final class OpenBlasPeer {
    /** A kernel table of the x86-64 DYNAMIC_ARCH build, by the name OPENBLAS_CORETYPE accepts. */
    private record Core(String name, boolean avx2) {
        String table() {
            return "gotoblas_" + name.toUpperCase(Locale.ROOT);
        }
    }

    private static final List<Core> CORES = List.of(
            new Core("Katmai", false), new Core("Coppermine", false), new Core("Northwood", false),
            new Core("Prescott", false), new Core("Banias", false), new Core("Core2", false),
            new Core("Nehalem", false), new Core("Sandybridge", false), new Core("Athlon", false),
            new Core("Barcelona", false), new Core("Bulldozer", false), new Core("Piledriver", false),
            new Core("Steamroller", false), new Core("Excavator", true), new Core("Zen", true),
            new Core("Haswell", true), new Core("SkylakeX", true), new Core("Cooperlake", true),
            new Core("SapphireRapids", true));

    private final Core core;
    private final int threads;

    private OpenBlasPeer(Core core, int threads) {
        this.core = core;
        this.threads = threads;
    }

    /**
     * Loads OpenBLAS and sets its thread count; throws {@link IllegalStateException} with the reason when
     * it cannot load here.
     */
    static OpenBlasPeer load(int threads) {
        try {
            Loader.load(openblas_nolapack.class);
            openblas_nolapack.blas_set_num_threads(threads);
            return new OpenBlasPeer(detectCore(), threads);
        } catch (LinkageError | RuntimeException e) {
            throw new IllegalStateException("OpenBLAS (JavaCPP presets) cannot be loaded: " + e, e);
        }
    }

    private static Core detectCore() {
        Pointer dispatch = Loader.addressof("gotoblas");
        if (dispatch == null) {
            return null;
        }
        long table = new LongPointer(dispatch).get();
        for (Core c : CORES) {
            Pointer p = Loader.addressof(c.table());
            if (p != null && p.address() == table) {
                return c;
            }
        }
        return null;
    }

    /** The kernel set OpenBLAS runs, as OPENBLAS_CORETYPE names it, or "unknown". */
    String core() {
        return core == null ? "unknown" : core.name();
    }

    /**
     * Whether OpenBLAS runs a known kernel set without AVX2/FMA: then it is no fair peer of lrn4j's AVX2
     * kernels, and its Haswell kernels are.
     */
    boolean olderThanAvx2() {
        return core != null && !core.avx2();
    }

    int threads() {
        return threads;
    }

    /** A view of a FLOAT32 host tensor for {@link #sgemm}: made once, outside the timed loop. */
    static FloatPointer view(Tensor t) {
        return new FloatPointer(((HostStorage) t.storage()).buffer().asFloatBuffer());
    }

    /**
     * Row-major C = op(A)·op(B) (+ C when accumulating); the arguments mean what they mean for
     * {@link org.lrn4j.backend.Backend#gemm}, without the bias.
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, FloatPointer a, int lda,
               FloatPointer b, int ldb, boolean accumulate, FloatPointer c, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                m, n, k, 1f, a, lda, b, ldb, accumulate ? 1f : 0f, c, ldc);
    }
}
