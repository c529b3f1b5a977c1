package org.lrn4j.backend;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Chooses the backend once, lazily, and logs which and why: CUDA when a device and the CUDA library load,
 * else the native CPU kernels, else the pure-Java kernels. {@code -Dlrn4j.backend=java|native|cuda} forces
 * one; forcing one that cannot load is an error, not a silent fallback.
 */
public final class Backends {
    /** The system property that forces a backend. */
    public static final String PROPERTY = "lrn4j.backend";

    private static final System.Logger LOG = System.getLogger("org.lrn4j");
    private static Backend selected;
    private static String reason;

    private Backends() {
    }

    /** Whether one backend can run here, and why (not). */
    public record Probe(String name, boolean available, String detail) {
    }

    /** The selected backend (selecting it on first call). */
    public static synchronized Backend get() {
        if (selected == null) {
            Choice c = choose(System.getProperty(PROPERTY));
            selected = c.backend();
            reason = c.reason();
            LOG.log(Level.INFO, "lrn4j backend: {0} ({1})", selected.description(), reason);
        }
        return selected;
    }

    /** Why {@link #get()} chose what it chose. */
    public static synchronized String selectionReason() {
        get();
        return reason;
    }

    /** A backend and why it was chosen. */
    record Choice(Backend backend, String reason) {
    }

    /**
     * The selection rule: the forced backend if {@code forced} names one (an error if it cannot load),
     * else the first of cuda, native, java that loads.
     */
    static Choice choose(String forced) {
        if (forced != null && !forced.isBlank()) {
            String name = forced.trim().toLowerCase(Locale.ROOT);
            try {
                return new Choice(byName(name), "forced by -D" + PROPERTY + "=" + name);
            } catch (IllegalStateException e) {
                throw new IllegalStateException("-D" + PROPERTY + "=" + name + " was requested but " + e.getMessage(), e);
            }
        }
        List<String> skipped = new ArrayList<>();
        for (String name : List.of("cuda", "native", "java")) {
            try {
                Backend b = byName(name);
                return new Choice(b, skipped.isEmpty() ? "the best available" : "automatic; skipped "
                        + String.join("; ", skipped));
            } catch (IllegalStateException e) {
                skipped.add(name + ": " + e.getMessage());
            }
        }
        throw new IllegalStateException("no backend can run: " + String.join("; ", skipped));
    }

    /**
     * The backend of that name ("java", "native" or "cuda"), loading it if needed; throws
     * {@link IllegalStateException} saying why it cannot run here, or {@link IllegalArgumentException}
     * for an unknown name.
     */
    public static Backend byName(String name) {
        switch (name) {
            case "java":
                return JavaBackend.INSTANCE;
            case "native":
                return NativeBackend.load();
            case "cuda":
                return CudaBackend.load();
            default:
                throw new IllegalArgumentException("unknown backend '" + name + "'; use java, native or cuda");
        }
    }

    /** Tries every backend and reports what can run here. */
    public static List<Probe> probeAll() {
        List<Probe> out = new ArrayList<>();
        for (String name : List.of("cuda", "native", "java")) {
            try {
                out.add(new Probe(name, true, byName(name).description()));
            } catch (IllegalStateException e) {
                out.add(new Probe(name, false, e.getMessage()));
            }
        }
        return out;
    }
}
