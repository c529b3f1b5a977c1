package org.lrn4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a file as strict UTF-8, line by line, without holding the whole file.
 *
 * <p>A byte sequence that is not UTF-8 is an {@link IOException} naming the file, the byte offset, the
 * line and the offending bytes, so a user can find it (for example with {@code cmp} or a hex editor).
 * Lines end at {@code \n}; a {@code \r} before it is dropped; a byte-order mark at the start is skipped.
 */
public final class Utf8Lines {
    /** Receives each line, without its terminator. */
    @FunctionalInterface
    public interface LineSink {
        void line(String line) throws IOException;
    }

    private static final int CHUNK = 1 << 16;

    private Utf8Lines() {
    }

    /** Calls {@code sink} with every line of the file, in order. */
    public static void forEach(Path file, LineSink sink) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            forEach(in, file.toString(), sink);
        }
    }

    /** As {@link #forEach(Path, LineSink)} for a stream; {@code name} appears in error messages. */
    public static void forEach(InputStream in, String name, LineSink sink) throws IOException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bytes = ByteBuffer.allocate(CHUNK);
        CharBuffer chars = CharBuffer.allocate(CHUNK);
        StringBuilder line = new StringBuilder();
        long consumed = 0;      // bytes of the file before bytes.position()
        long lineNumber = 1;
        boolean first = true;
        boolean eof = false;
        while (true) {
            if (!eof) {
                int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
                if (n < 0) {
                    eof = true;
                } else {
                    bytes.position(bytes.position() + n);
                }
            }
            bytes.flip();
            int before = bytes.position();
            CoderResult r = decoder.decode(bytes, chars, eof);
            long at = consumed + bytes.position() - before;
            chars.flip();
            while (chars.hasRemaining()) {
                char c = chars.get();
                if (first) {
                    first = false;
                    if (c == '\uFEFF') {
                        continue;
                    }
                }
                if (c == '\n') {
                    int len = line.length();
                    if (len > 0 && line.charAt(len - 1) == '\r') {
                        line.setLength(len - 1);
                    }
                    sink.line(line.toString());
                    line.setLength(0);
                    lineNumber++;
                } else {
                    line.append(c);
                }
            }
            chars.clear();
            if (r.isError()) {
                StringBuilder hex = new StringBuilder();
                for (int i = 0; i < r.length() + 3 && bytes.position() + i < bytes.limit(); i++) {
                    hex.append(String.format(" %02x", bytes.get(bytes.position() + i) & 0xff));
                }
                throw new IOException(name + ": not valid UTF-8 at byte " + at + " (line " + lineNumber + "): bytes" + hex);
            }
            consumed = at;
            bytes.compact();
            if (eof && bytes.position() == 0) {
                break;
            }
        }
        CoderResult r = decoder.flush(chars);
        if (r.isError()) {
            throw new IOException(name + ": not valid UTF-8 at the end of the file");
        }
        if (line.length() > 0) {
            int len = line.length();
            if (line.charAt(len - 1) == '\r') {
                line.setLength(len - 1);
            }
            sink.line(line.toString());
        }
    }
}
