package org.lrn4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;

class MailTextTest {
    private static List<String> tokens(String message) {
        return MailText.tokens(message.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void onlyTheSubjectHeaderIsKept() {
        List<String> t = tokens("From someone@example.com  Thu Aug 22 12:36:23 2002\n"
                + "Received: from mailhost (relay.example.org [10.0.0.1])\n\tby spamtrap\n"
                + "Subject: Cheap   offer,\n  today only!\n"
                + "X-Spam-Status: No, hits=-2.0\n"
                + "\n"
                + "Hello World. Call 555-1234 or visit http://example.com/x?a=1 or mail bob@example.org.\n");
        assertEquals(List.of("cheap", "offer", "today", "only", "!", "<body>", "hello", "world", "call", "<num>", "<num>",
                "or", "visit", "<url>", "or", "mail", "<email>"), t);
    }

    @Test
    void encodedSubjectsAreDecoded() {
        String cafe = Base64.getEncoder().encodeToString("Café".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("café", "and", "gratuit", "€", "<body>", "x"),
                tokens("Subject: =?utf-8?B?" + cafe + "?= and =?iso-8859-15?Q?gratuit_=A4?=\n\nx\n"));
        assertEquals(List.of("cafégratuit", "€", "<body>"),
                tokens("Subject: =?utf-8?B?" + cafe + "?=  =?iso-8859-15?Q?gratuit_=A4?=\n\n"),
                "white space between adjacent encoded words is dropped (RFC 2047)");
        assertEquals(List.of("<body>"), tokens("Subject:\n\n"));
        assertEquals(List.of("<body>", "body", "only"), tokens("\nbody only"));
    }

    @Test
    void multipartBase64QuotedPrintableAndHtml() {
        String html = "<html><head><title>t</title><style>p {color:red}</style></head><body>"
                + "<p>Buy <b>NOW</b> &amp; save&nbsp;$50!</p><a href=\"http://x.example\">here</a><img src=\"a.gif\">"
                + "<!-- hidden words --><script>var secret=1;</script></body></html>";
        String message = "Subject: Hi\n"
                + "MIME-Version: 1.0\n"
                + "Content-Type: multipart/mixed; boundary=\"XYZ\"\n\n"
                + "preamble is ignored\n"
                + "--XYZ\n"
                + "Content-Type: text/plain; charset=utf-8\n"
                + "Content-Transfer-Encoding: base64\n\n"
                + Base64.getMimeEncoder().encodeToString("Grüße aus Köln".getBytes(StandardCharsets.UTF_8)) + "\n"
                + "--XYZ\n"
                + "Content-Type: multipart/alternative; boundary=inner\n\n"
                + "--inner\n"
                + "Content-Type: text/plain\n"
                + "Content-Transfer-Encoding: quoted-printable\n\n"
                + "soft=\nbreak caf=E9\n"
                + "--inner\n"
                + "Content-Type: text/html\n\n"
                + html + "\n"
                + "--inner--\n"
                + "--XYZ\n"
                + "Content-Type: application/pdf\n"
                + "Content-Transfer-Encoding: base64\n\n"
                + "JVBERi0xLjQK\n"
                + "--XYZ--\n"
                + "epilogue words\n";
        List<String> t = tokens(message);
        assertEquals(List.of("hi", "<body>", "grüße", "aus", "köln", "softbreak", "café", "buy", "now", "save", "$", "<num>",
                "!", "<url>", "here", "<image>", "<attachment>"), t);
        assertFalse(t.contains("hidden") || t.contains("secret") || t.contains("color") || t.contains("preamble"));
    }

    @Test
    void bytesThatAreNotUtf8DecodeAsWindows1252() {
        byte[] raw = "Subject: x\n\nit\u0092s \u00a3160".getBytes(StandardCharsets.ISO_8859_1);
        List<String> t = MailText.tokens(raw);
        assertEquals(List.of("x", "<body>", "it's", "£", "<num>"), t);
    }

    @Test
    void longRunsBecomeOneToken() {
        List<String> t = tokens("\n" + "a".repeat(MailText.MAX_WORD + 1) + " " + "b".repeat(MailText.MAX_WORD));
        assertEquals(List.of("<body>", "<long>", "b".repeat(MailText.MAX_WORD)), t);
        assertTrue(MailText.stripHtml("a&#65;&#x42;&bogus;b").contains("AB&bogus;b"));
    }
}
