package org.lrn4j.data;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a raw e-mail message (RFC 5322 with MIME) into word tokens for a word-level classifier.
 *
 * <p><b>Headers.</b> Only the {@code Subject} is kept (its RFC 2047 encoded words decoded). Every other
 * header is dropped: routing ({@code Received}), addresses, dates, mailing-list and spam-filter headers
 * identify how a message reached the people who collected the corpus, not what it says, and a classifier
 * fed them learns the collection instead of spam.
 *
 * <p><b>Body.</b> MIME is followed: multipart bodies are split at their boundaries (nested parts too, and
 * attached messages), base64 and quoted-printable are decoded, text is decoded with the part's charset (or,
 * without one, as UTF-8 when the bytes are valid UTF-8 and as windows-1252 otherwise). {@code text/html} loses
 * its comments, scripts, styles and tags (a link becomes {@code <url>}, an image {@code <image>}) and its
 * character entities are decoded. A part that is not text becomes one {@code <attachment>} token.
 *
 * <p><b>Tokens.</b> Lower-cased; a URL becomes {@code <url>}, an e-mail address {@code <email>}, a number
 * {@code <num>}; words are runs of letters and digits starting with a letter (an inner apostrophe kept, typographic
 * ones made plain);
 * {@code $ ! % £ €} are tokens of their own; a word longer than 30 characters becomes {@code <long>}; other
 * punctuation is dropped. The subject's tokens come first, then {@code <body>}, then the body's, so every
 * message has at least one token.
 */
public final class MailText {
    /** Separates the subject's tokens from the body's. */
    public static final String BODY = "<body>";
    public static final String URL = "<url>";
    public static final String EMAIL = "<email>";
    public static final String NUMBER = "<num>";
    public static final String IMAGE = "<image>";
    public static final String ATTACHMENT = "<attachment>";
    public static final String LONG_WORD = "<long>";
    /** Longest word kept as itself. */
    public static final int MAX_WORD = 30;

    private static final int MAX_DEPTH = 8;
    private static final Pattern TOKEN = Pattern.compile(
            "(?<url>(?:https?|ftp)://[^\\s<>\"']+|www\\.[^\\s<>\"']+)"
                    + "|(?<email>[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+)"
                    + "|(?<marker><(?:url|image|attachment)>)"
                    + "|(?<num>\\p{N}+(?:[.,:]\\p{N}+)*)"
                    + "|(?<word>\\p{L}[\\p{L}\\p{N}]*(?:'\\p{L}+)?)"
                    + "|(?<sym>[$!%£€])");
    private static final Pattern ENCODED_WORD = Pattern.compile("=\\?([^?\\s]+)\\?([bBqQ])\\?([^?\\s]*)\\?=");
    private static final Pattern HTML_DROP = Pattern.compile(
            "(?is)<!--.*?-->|<script\\b.*?</script\\s*>|<style\\b.*?</style\\s*>|<head\\b.*?</head\\s*>");
    private static final Pattern HTML_TAG = Pattern.compile("(?s)<[!/?]?[a-zA-Z][^>]*>");
    private static final Pattern HREF = Pattern.compile("(?i)\\bhref\\s*=");
    private static final Pattern IMG = Pattern.compile("(?i)^<img\\b");
    private static final Pattern ENTITY = Pattern.compile("&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});");
    private static final Map<String, String> ENTITIES = Map.ofEntries(
            Map.entry("amp", "&"), Map.entry("lt", "<"), Map.entry("gt", ">"), Map.entry("quot", "\""),
            Map.entry("apos", "'"), Map.entry("nbsp", " "), Map.entry("copy", "©"), Map.entry("reg", "®"),
            Map.entry("trade", "™"), Map.entry("pound", "£"), Map.entry("euro", "€"), Map.entry("cent", "¢"),
            Map.entry("mdash", "—"), Map.entry("ndash", "–"), Map.entry("hellip", "…"), Map.entry("rsquo", "'"),
            Map.entry("lsquo", "'"), Map.entry("rdquo", "\""), Map.entry("ldquo", "\""), Map.entry("bull", "•"));
    private static final Charset WINDOWS_1252 = windows1252();

    private MailText() {
    }

    /** The tokens of a raw message (see the class comment). */
    public static List<String> tokens(byte[] message) {
        Entity top = Entity.parse(latin1(message));
        List<String> out = new ArrayList<>();
        tokenize(decodeHeader(top.header("subject")), out);
        out.add(BODY);
        body(top, 0, out);
        return out;
    }

    /** Lower-cases a text and appends its tokens. */
    static void tokenize(String text, List<String> out) {
        Matcher m = TOKEN.matcher(text.toLowerCase(Locale.ROOT).replace('\u2019', '\'').replace('\u2018', '\''));
        while (m.find()) {
            if (m.group("url") != null) {
                out.add(URL);
            } else if (m.group("email") != null) {
                out.add(EMAIL);
            } else if (m.group("marker") != null) {
                out.add(m.group("marker"));
            } else if (m.group("num") != null) {
                out.add(NUMBER);
            } else if (m.group("word") != null) {
                String w = m.group("word");
                out.add(w.length() > MAX_WORD ? LONG_WORD : w);
            } else {
                out.add(m.group("sym"));
            }
        }
    }

    private static void body(Entity e, int depth, List<String> out) {
        String type = e.mediaType();
        if (depth > MAX_DEPTH) {
            return;
        }
        if (type.startsWith("multipart/")) {
            String boundary = e.parameter("boundary");
            if (boundary == null || boundary.isEmpty()) {
                tokenize(decodeText(e), out);
                return;
            }
            for (String part : splitMultipart(e.body, boundary)) {
                body(Entity.parse(part), depth + 1, out);
            }
        } else if (type.equals("message/rfc822")) {
            Entity inner = Entity.parse(latin1(e.decodedBytes()));
            tokenize(decodeHeader(inner.header("subject")), out);
            body(inner, depth + 1, out);
        } else if (type.equals("text/html")) {
            tokenize(stripHtml(decodeText(e)), out);
        } else if (type.startsWith("text/") || type.isEmpty()) {
            tokenize(decodeText(e), out);
        } else {
            out.add(ATTACHMENT);
        }
    }

    /** The parts of a multipart body: the text between "--boundary" lines, up to "--boundary--". */
    static List<String> splitMultipart(String body, String boundary) {
        List<String> parts = new ArrayList<>();
        String dash = "--" + boundary;
        StringBuilder current = null;
        for (String line : body.split("\n", -1)) {
            if (line.startsWith(dash)) {
                String rest = line.substring(dash.length()).trim();
                if (rest.isEmpty() || rest.equals("--")) {
                    if (current != null) {
                        parts.add(current.toString());
                    }
                    if (rest.equals("--")) {
                        return parts;
                    }
                    current = new StringBuilder();
                    continue;
                }
            }
            if (current != null) {
                current.append(line).append('\n');
            }
        }
        if (current != null) {
            parts.add(current.toString());
        }
        return parts;
    }

    private static String decodeText(Entity e) {
        return decodeBytes(e.decodedBytes(), e.parameter("charset"));
    }

    /** Decodes bytes with a named charset when Java knows it, else as UTF-8 if valid, else windows-1252. */
    static String decodeBytes(byte[] bytes, String charset) {
        if (charset != null) {
            try {
                Charset cs = Charset.forName(charset.trim());
                if (!cs.equals(StandardCharsets.UTF_8) && !cs.equals(StandardCharsets.US_ASCII)) {
                    return new String(bytes, cs);
                }
            } catch (IllegalArgumentException unknownCharset) {
                // an unknown or malformed charset name: decode by looking at the bytes
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException notUtf8) {
            return new String(bytes, WINDOWS_1252);
        }
    }

    /** Decodes RFC 2047 encoded words ({@code =?utf-8?B?...?=}) in a header value; raw bytes as in a body. */
    static String decodeHeader(String value) {
        if (value == null) {
            return "";
        }
        String raw = decodeBytes(value.getBytes(StandardCharsets.ISO_8859_1), null);
        Matcher m = ENCODED_WORD.matcher(raw);
        StringBuilder out = new StringBuilder();
        int last = 0;
        while (m.find()) {
            String between = raw.substring(last, m.start());
            if (last == 0 || !between.isBlank()) {
                out.append(between);
            }
            byte[] bytes = m.group(2).equalsIgnoreCase("b")
                    ? base64(m.group(3))
                    : quotedPrintable(m.group(3).replace('_', ' '), false);
            out.append(decodeBytes(bytes, m.group(1)));
            last = m.end();
        }
        out.append(raw, last, raw.length());
        return out.toString();
    }

    /** Visible text of an HTML document. */
    static String stripHtml(String html) {
        String s = HTML_DROP.matcher(html).replaceAll(" ");
        Matcher tags = HTML_TAG.matcher(s);
        StringBuilder out = new StringBuilder(s.length());
        while (tags.find()) {
            String tag = tags.group();
            String replacement = HREF.matcher(tag).find() ? " " + URL + " " : IMG.matcher(tag).find() ? " " + IMAGE + " " : " ";
            tags.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        tags.appendTail(out);
        Matcher ent = ENTITY.matcher(out.toString());
        StringBuilder text = new StringBuilder(out.length());
        while (ent.find()) {
            ent.appendReplacement(text, Matcher.quoteReplacement(entity(ent.group(1), ent.group())));
        }
        ent.appendTail(text);
        return text.toString();
    }

    private static String entity(String name, String whole) {
        if (name.startsWith("#")) {
            try {
                int cp = name.length() > 1 && (name.charAt(1) == 'x' || name.charAt(1) == 'X')
                        ? Integer.parseInt(name.substring(2), 16) : Integer.parseInt(name.substring(1));
                return Character.isValidCodePoint(cp) ? new String(Character.toChars(cp)) : " ";
            } catch (NumberFormatException e) {
                return " ";
            }
        }
        String v = ENTITIES.get(name.toLowerCase(Locale.ROOT));
        return v != null ? v : whole;
    }

    private static byte[] base64(String s) {
        StringBuilder clean = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/') {
                clean.append(c);
            }
        }
        if (clean.length() % 4 == 1) {
            clean.setLength(clean.length() - 1);
        }
        try {
            return Base64.getDecoder().decode(padded(clean.toString()));
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    private static String padded(String s) {
        int r = s.length() % 4;
        return r == 0 ? s : s + "==".substring(0, 4 - r);
    }

    private static byte[] quotedPrintable(String s, boolean body) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length());
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '=' && body && i + 1 < n && s.charAt(i + 1) == '\n') {
                i++;
            } else if (c == '=' && i + 2 < n && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
                out.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
                i += 2;
            } else {
                out.write(c & 0xff);
            }
        }
        return out.toByteArray();
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }

    private static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static Charset windows1252() {
        try {
            return Charset.forName("windows-1252");
        } catch (IllegalArgumentException e) {
            return StandardCharsets.ISO_8859_1;
        }
    }

    /**
     * A MIME entity: headers and body. Text is held as ISO-8859-1 (one char per byte) until the part's
     * charset is known, so no byte is lost before decoding.
     */
    private static final class Entity {
        final Map<String, String> headers;
        final String body;

        private Entity(Map<String, String> headers, String body) {
            this.headers = headers;
            this.body = body;
        }

        static Entity parse(String raw) {
            String s = raw.replace("\r\n", "\n");
            int split = s.startsWith("\n") ? 0 : s.indexOf("\n\n");
            String head = split < 0 ? s : s.substring(0, split);
            String body = split < 0 ? "" : s.substring(split + (s.startsWith("\n") ? 1 : 2));
            Map<String, String> headers = new HashMap<>();
            String name = null;
            StringBuilder value = new StringBuilder();
            for (String line : head.split("\n")) {
                if (!line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
                    if (name != null) {
                        value.append(' ').append(line.trim());
                    }
                    continue;
                }
                if (name != null) {
                    headers.putIfAbsent(name, value.toString());
                }
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).chars().allMatch(c -> c > 32 && c < 127)) {
                    name = line.substring(0, colon).toLowerCase(Locale.ROOT);
                    value.setLength(0);
                    value.append(line.substring(colon + 1).trim());
                } else {
                    name = null;
                }
            }
            if (name != null) {
                headers.putIfAbsent(name, value.toString());
            }
            return new Entity(headers, body);
        }

        String header(String name) {
            return headers.get(name);
        }

        /** The media type, lower-case ("text/plain" when the header is absent). */
        String mediaType() {
            String ct = headers.get("content-type");
            if (ct == null) {
                return "text/plain";
            }
            int semi = ct.indexOf(';');
            return (semi < 0 ? ct : ct.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        }

        /** A parameter of Content-Type ({@code charset}, {@code boundary}), unquoted; null when absent. */
        String parameter(String name) {
            String ct = headers.get("content-type");
            if (ct == null) {
                return null;
            }
            Matcher m = Pattern.compile("(?i);\\s*" + Pattern.quote(name) + "\\s*=\\s*(\"([^\"]*)\"|([^;\\s]+))").matcher(ct);
            if (!m.find()) {
                return null;
            }
            return m.group(2) != null ? m.group(2) : m.group(3);
        }

        /** The body with its transfer encoding undone, as bytes. */
        byte[] decodedBytes() {
            String cte = headers.getOrDefault("content-transfer-encoding", "").trim().toLowerCase(Locale.ROOT);
            if (cte.equals("base64")) {
                return base64(body);
            }
            if (cte.equals("quoted-printable")) {
                return quotedPrintable(body, true);
            }
            return body.getBytes(StandardCharsets.ISO_8859_1);
        }
    }
}
