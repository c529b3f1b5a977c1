package org.lrn4j.data;

import java.nio.file.Path;

/**
 * Where the downloaded corpora live: {@code scripts/fetch-corpora.sh} puts them in {@code data/} by default.
 *
 * <p>The directory is, in order: the system property {@code lrn4j.data}, the environment variable
 * {@code LRN4J_DATA}, or {@code data} relative to the working directory. Each reader looks for its corpus in a
 * subdirectory of it ({@link BrownCorpus#DIRECTORY}, {@link SpamAssassinCorpus#DIRECTORY}) and also takes an
 * explicit path.
 */
public final class DataDirectory {
    /** System property naming the data directory. */
    public static final String PROPERTY = "lrn4j.data";
    /** Environment variable naming the data directory. */
    public static final String ENVIRONMENT = "LRN4J_DATA";

    private DataDirectory() {
    }

    /** The data directory (it need not exist). */
    public static Path root() {
        String p = System.getProperty(PROPERTY);
        if (p == null || p.isBlank()) {
            p = System.getenv(ENVIRONMENT);
        }
        return Path.of(p == null || p.isBlank() ? "data" : p);
    }
}
