package org.lrn4j.train.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checkpoints of a training run in one directory: numbered {@link Checkpoint} directories
 * {@code ckpt-000001}, {@code ckpt-000002}, …, the newest being the latest, and a file {@code best} naming the
 * one with the best validation score.
 * <pre>
 * run/
 *   ckpt-000006/   model.safetensors  optimizer.safetensors  checkpoint.json
 *   ckpt-000007/   …
 *   best           "ckpt-000004"
 *   ckpt-000004/   …
 * </pre>
 * A save writes a new numbered directory atomically ({@link Checkpoint#write}), then, if asked, replaces
 * {@code best} atomically (a temporary file renamed over it), then prunes: the newest {@code keep}
 * checkpoints and the best one stay, older ones are renamed to a hidden name and deleted. Whenever a crash
 * strikes, the previous latest and best checkpoints are intact: the new directory appears whole or not at all,
 * and nothing is deleted before the new checkpoint is in place. Leftovers of a crash (hidden temporary or
 * half-deleted directories) are ignored by readers and removed by the next save. One process saves to a
 * run directory at a time.
 */
public final class CheckpointStore {
    /** Name of the file naming the best checkpoint. */
    public static final String BEST_FILE = "best";
    private static final Pattern NAME = Pattern.compile("ckpt-(\\d{6,18})");
    private static final String TRASH = ".trash-";

    private final Path root;
    private final int keep;

    /**
     * @param root the run directory (created on the first save)
     * @param keep newest checkpoints kept besides the best one (≥ 1)
     */
    public CheckpointStore(Path root, int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep at least one checkpoint, got " + keep);
        }
        this.root = root.toAbsolutePath().normalize();
        this.keep = keep;
    }

    /** Keeps the two newest checkpoints and the best. */
    public CheckpointStore(Path root) {
        this(root, 2);
    }

    public Path root() {
        return root;
    }

    /**
     * Saves a checkpoint as the new latest one; {@code best} also makes it the best one.
     *
     * @return its directory
     */
    public Path save(Checkpoint.Contents contents, boolean best) throws IOException {
        Files.createDirectories(root);
        removeLeftovers();
        long next = 1;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(root)) {
            for (Path p : s) {
                if (NAME.matcher(p.getFileName().toString()).matches()) {
                    next = Math.max(next, generation(p) + 1);
                }
            }
        }
        Path dir = root.resolve(String.format("ckpt-%06d", next));
        Checkpoint.write(dir, contents);
        if (best) {
            Path tmp = root.resolve(Checkpoint.temporaryName(BEST_FILE));
            try {
                Checkpoint.writeForced(tmp, dir.getFileName() + "\n");
                Checkpoint.moveAtomically(tmp, root.resolve(BEST_FILE));
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            Checkpoint.fsyncDirectory(root);
        }
        prune();
        return dir;
    }

    /** The checkpoint directories, oldest first (complete ones: each holds its {@code checkpoint.json}). */
    public List<Path> checkpoints() throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(root)) {
            for (Path p : s) {
                if (NAME.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p.resolve(Checkpoint.JSON_FILE))) {
                    out.add(p);
                }
            }
        }
        out.sort((a, b) -> Long.compare(generation(a), generation(b)));
        return out;
    }

    /** The newest checkpoint directory, if any. */
    public Optional<Path> latest() throws IOException {
        List<Path> all = checkpoints();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** The checkpoint directory named by {@code best}, if any. */
    public Optional<Path> best() throws IOException {
        Path f = root.resolve(BEST_FILE);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        String name = Files.readString(f, StandardCharsets.UTF_8).trim();
        if (!NAME.matcher(name).matches()) {
            throw new FileFormatException(f + ": \"" + name + "\" is not a checkpoint name");
        }
        Path dir = root.resolve(name);
        if (!Files.isRegularFile(dir.resolve(Checkpoint.JSON_FILE))) {
            throw new FileFormatException(f + " names " + name + ", which is not a complete checkpoint");
        }
        return Optional.of(dir);
    }

    /**
     * Opens a checkpoint from a path given by a user: a checkpoint directory itself, or a run directory (its
     * latest checkpoint).
     */
    public static Checkpoint open(Path path) throws IOException {
        if (Files.isRegularFile(path.resolve(Checkpoint.JSON_FILE))) {
            return Checkpoint.open(path);
        }
        Optional<Path> latest = new CheckpointStore(path).latest();
        if (latest.isEmpty()) {
            throw new NoSuchFileException(path.toString(), null, "no checkpoint there (neither a checkpoint directory "
                    + "nor a run directory holding ckpt-NNNNNN checkpoints)");
        }
        return Checkpoint.open(latest.get());
    }

    private void prune() throws IOException {
        List<Path> all = checkpoints();
        Path best = best().orElse(null);
        for (int i = 0; i < all.size() - keep; i++) {
            Path p = all.get(i);
            if (p.equals(best)) {
                continue;
            }
            Path trash = root.resolve(TRASH + p.getFileName());
            Checkpoint.moveAtomically(p, trash);
            Checkpoint.deleteTree(trash);
        }
        Checkpoint.fsyncDirectory(root);
    }

    /** Removes what a crash can leave: temporary checkpoint or pointer files, half-deleted checkpoints. */
    private void removeLeftovers() throws IOException {
        List<Path> leftovers = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(root)) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (n.startsWith(TRASH) || (n.startsWith(".") && n.contains(".tmp-"))) {
                    leftovers.add(p);
                }
            }
        }
        for (Path p : leftovers) {
            Checkpoint.deleteTree(p);
        }
    }

    private static long generation(Path p) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException(p + " is not a checkpoint name");
        }
        return Long.parseLong(m.group(1));
    }
}
