package org.lrn4j.train.checkpoint;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;

/**
 * The safetensors format: what a file holds and how its header is written and checked.
 *
 * <p>A file is: 8 bytes N, an unsigned 64-bit little-endian integer; N bytes of UTF-8 JSON, an object mapping
 * each tensor name to {@code {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}} plus an optional
 * {@code "__metadata__"} object of string values; then the data: each tensor's elements in row-major (C)
 * order, little-endian, at {@code [begin, end)} counted from the first byte after the header. Offsets tile
 * the data exactly: sorted by begin, the first begins at 0, each begins where the previous ends, the last ends
 * at the end of the file, and each spans elements × element size bytes.
 *
 * <p>{@link SafetensorsWriter} writes what the reference implementation writes: tensors ordered by dtype
 * alignment (largest first) then by name, offsets in that order, the header compact JSON with
 * {@code __metadata__} first and padded with spaces so the data starts at a multiple of 8, which keeps every
 * tensor aligned to its element size. {@link SafetensorsFile} reads any valid file and rejects, with a
 * {@link FileFormatException}, everything the reference rejects: a header length past the file or above
 * {@value #MAX_HEADER_BYTES} bytes, a header that is not UTF-8 or not a JSON object, an unknown dtype, a shape
 * whose byte size overflows, offsets that overlap, leave gaps, disagree with dtype and shape, or do not end at
 * the end of the file, and non-string metadata.
 */
public final class Safetensors {
    /** The key of the free-form string map in the header. */
    public static final String METADATA_KEY = "__metadata__";
    /** Largest header accepted, as in the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /**
     * Element types, in the reference implementation's order (increasing alignment), which sets the order of
     * tensors in a written file.
     */
    public enum Dtype {
        BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4),
        F64(8), I64(8), U64(8);

        private final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }

        /** Size of one element in bytes. */
        public int bytes() {
            return bytes;
        }

        static Dtype parse(String s) {
            for (Dtype d : values()) {
                if (d.name().equals(s)) {
                    return d;
                }
            }
            return null;
        }
    }

    /**
     * One tensor of a file.
     *
     * @param name  its key in the header
     * @param dtype element type
     * @param shape dimensions, row-major; empty for a scalar
     * @param begin first byte, counted from the start of the data
     * @param end   one past the last byte
     */
    public record TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) {
        public TensorInfo {
            shape = shape.clone();
        }

        /** Number of elements (1 for a scalar). */
        public long elements() {
            return Safetensors.elements(shape);
        }

        /** Size of the data in bytes. */
        public long bytes() {
            return end - begin;
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorInfo t && t.name.equals(name) && t.dtype == dtype && Arrays.equals(t.shape, shape)
                    && t.begin == begin && t.end == end;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
        }
    }

    /**
     * A parsed and checked header.
     *
     * @param metadata the {@code __metadata__} map (empty when absent)
     * @param tensors  the tensors in data order
     */
    public record Header(Map<String, String> metadata, List<TensorInfo> tensors) {
    }

    private Safetensors() {
    }

    /** Product of the dimensions; an {@link ArithmeticException} when it overflows a long. */
    static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Orders tensors as the reference writer does: larger dtype first, then by name (UTF-8 byte order). */
    static final Comparator<TensorInfo> WRITE_ORDER = Comparator
            .comparing((TensorInfo t) -> t.dtype().ordinal(), Comparator.reverseOrder())
            .thenComparing(TensorInfo::name, Safetensors::compareUtf8);

    private static int compareUtf8(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    /** The header bytes, padded with spaces to a multiple of 8; tensors must already be in data order. */
    static byte[] encodeHeader(Map<String, String> metadata, List<TensorInfo> tensors) {
        java.io.StringWriter s = new java.io.StringWriter();
        try (JsonWriter w = new JsonWriter(s)) {
            w.setHtmlSafe(false);
            w.beginObject();
            if (!metadata.isEmpty()) {
                w.name(METADATA_KEY).beginObject();
                for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
                    w.name(e.getKey()).value(e.getValue());
                }
                w.endObject();
            }
            for (TensorInfo t : tensors) {
                w.name(t.name()).beginObject();
                w.name("dtype").value(t.dtype().name());
                w.name("shape").beginArray();
                for (long d : t.shape) {
                    w.value(d);
                }
                w.endArray();
                w.name("data_offsets").beginArray().value(t.begin()).value(t.end()).endArray();
                w.endObject();
            }
            w.endObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing JSON to a string failed", e);
        }
        byte[] json = s.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /**
     * Parses and checks a header.
     *
     * @param header    the N header bytes
     * @param dataBytes bytes in the file after the header
     * @param source    the file's name, for messages
     */
    static Header parseHeader(byte[] header, long dataBytes, String source) throws FileFormatException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(header)).toString();
        } catch (CharacterCodingException e) {
            throw new FileFormatException(source + ": the safetensors header is not valid UTF-8", e);
        }
        if (text.isEmpty() || text.charAt(0) != '{') {
            throw new FileFormatException(source + ": the safetensors header does not start with '{' (not a safetensors "
                    + "file, or a wrong header length)");
        }
        JsonObject root;
        try (JsonReader r = new JsonReader(new StringReader(text))) {
            r.setStrictness(Strictness.STRICT);
            JsonElement e = JsonParser.parseReader(r);
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new FileFormatException(source + ": the safetensors header has text after its JSON object");
            }
            root = e.getAsJsonObject();
        } catch (JsonParseException | IOException | IllegalStateException e) {
            throw new FileFormatException(source + ": the safetensors header is not valid JSON: " + e.getMessage(), e);
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : root.entrySet()) {
            if (e.getKey().equals(METADATA_KEY)) {
                if (!e.getValue().isJsonObject()) {
                    throw new FileFormatException(source + ": __metadata__ is not a JSON object");
                }
                for (Map.Entry<String, JsonElement> m : e.getValue().getAsJsonObject().entrySet()) {
                    if (!(m.getValue() instanceof JsonPrimitive p) || !p.isString()) {
                        throw new FileFormatException(source + ": __metadata__ value of \"" + m.getKey() + "\" is not a string");
                    }
                    metadata.put(m.getKey(), p.getAsString());
                }
                continue;
            }
            tensors.add(tensorInfo(e.getKey(), e.getValue(), source));
        }
        tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long at = 0;
        for (TensorInfo t : tensors) {
            if (t.begin() != at) {
                throw new FileFormatException(source + ": tensor \"" + t.name() + "\" data_offsets [" + t.begin() + ", "
                        + t.end() + ") " + (t.begin() < at ? "overlap the previous tensor" : "leave a gap after byte " + at));
            }
            at = t.end();
        }
        if (at != dataBytes) {
            throw new FileFormatException(source + ": the tensors' data ends at byte " + at + " but the file holds "
                    + dataBytes + " data bytes" + (at > dataBytes ? " (truncated file?)" : " (trailing bytes)"));
        }
        return new Header(Collections.unmodifiableMap(metadata), List.copyOf(tensors));
    }

    private static TensorInfo tensorInfo(String name, JsonElement value, String source) throws FileFormatException {
        String where = source + ": tensor \"" + name + "\"";
        if (!value.isJsonObject()) {
            throw new FileFormatException(where + " is not a JSON object");
        }
        JsonObject o = value.getAsJsonObject();
        JsonElement dt = o.get("dtype");
        if (!(dt instanceof JsonPrimitive p) || !p.isString()) {
            throw new FileFormatException(where + " has no string \"dtype\"");
        }
        Dtype dtype = Dtype.parse(p.getAsString());
        if (dtype == null) {
            throw new FileFormatException(where + " has unknown dtype \"" + p.getAsString() + "\"");
        }
        long[] shape = longs(o.get("shape"), where + " \"shape\"", -1);
        long[] offsets = longs(o.get("data_offsets"), where + " \"data_offsets\"", 2);
        if (offsets[1] < offsets[0]) {
            throw new FileFormatException(where + " data_offsets [" + offsets[0] + ", " + offsets[1] + "] end before they begin");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(elements(shape), dtype.bytes());
        } catch (ArithmeticException e) {
            throw new FileFormatException(where + " shape " + Arrays.toString(shape) + " overflows a 64-bit byte count");
        }
        if (offsets[1] - offsets[0] != bytes) {
            throw new FileFormatException(where + " spans " + (offsets[1] - offsets[0]) + " bytes but " + dtype + " "
                    + Arrays.toString(shape) + " needs " + bytes);
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    /** A JSON array of non-negative integers that fit a long; {@code length} −1 for any length. */
    private static long[] longs(JsonElement e, String what, int length) throws FileFormatException {
        if (!(e instanceof JsonArray a) || (length >= 0 && a.size() != length)) {
            throw new FileFormatException(what + " is not an array" + (length >= 0 ? " of " + length + " integers" : " of integers"));
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement x = a.get(i);
            if (!(x instanceof JsonPrimitive p) || !p.isNumber()) {
                throw new FileFormatException(what + " holds " + x + ", not an integer");
            }
            BigInteger v;
            try {
                v = new java.math.BigDecimal(p.getAsString()).toBigIntegerExact();
            } catch (ArithmeticException | NumberFormatException ex) {
                throw new FileFormatException(what + " holds " + p.getAsString() + ", not an integer");
            }
            if (v.signum() < 0 || v.bitLength() > 63) {
                throw new FileFormatException(what + " holds " + v + ", outside [0, 2^63)");
            }
            out[i] = v.longValue();
        }
        return out;
    }
}
